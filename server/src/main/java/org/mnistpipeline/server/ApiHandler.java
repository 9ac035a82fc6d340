package org.mnistpipeline.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictionEncoder;
import org.mnistpipeline.inference.http.DrawingPage;
import org.mnistpipeline.inference.http.HttpEdge;
import org.mnistpipeline.inference.http.HttpEdge.Route;
import org.mnistpipeline.inference.http.HttpErrors;
import org.mnistpipeline.inference.http.HttpRequest;
import org.mnistpipeline.inference.http.HttpResponse;
import org.mnistpipeline.inference.http.InputDecoder;
import org.mnistpipeline.inference.http.Invocations;
import org.mnistpipeline.io.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's carrier of the shared {@link HttpEdge}: adapts each exchange to an
 * {@link HttpRequest}, writes the answer, counts it in the metrics and writes the access log.
 * Routing, the exception→status mapping and the {@code POST /invocations} sequence are the
 * edge's, shared with the Lambda function.
 */
final class ApiHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** One line per request, without payloads; its own logger so it can be silenced. */
    private static final Logger ACCESS = LoggerFactory.getLogger("org.mnistpipeline.server.access");
    private static final HttpErrors.Log ERRORS = new HttpErrors.Log() {
        @Override
        public void error(String message, Throwable error) {
            LOG.error(message, error);
        }

        @Override
        public void refused(String message) {
            LOG.debug(message);
        }
    };

    private final ServerConfig config;
    private final ModelSlot slot;
    private final Metrics metrics;
    private final BooleanSupplier closing;
    private final HttpEdge edge;

    /** {@code budget}: the memory all requests in flight may hold, shared by every request of this server. */
    ApiHandler(ServerConfig config, ModelSlot slot, Metrics metrics, BooleanSupplier closing, MemoryBudget budget) {
        this.config = config;
        this.slot = slot;
        this.metrics = metrics;
        this.closing = closing;
        HttpResponse page = DrawingPage.response();
        this.edge = new HttpEdge("this server", List.of(
                Route.get("/ping", "/ping", request -> ping()),
                Route.post("/invocations", "/invocations", new Invocations(new InputDecoder(config.maxPixels(),
                        budget), new SlotScorer(), config.maxBodyBytes())),
                Route.get("/models", "/models", this::models),
                Route.get("/metrics", "/metrics", request -> new HttpResponse(200, Metrics.CONTENT_TYPE,
                        metrics.scrape(slot.peek().map(ServedModel::version).orElse(null))
                                .getBytes(StandardCharsets.UTF_8), Map.of(), 0, 0)),
                Route.get("/", "/", request -> page)));
    }

    @Override
    public void handle(HttpExchange exchange) {
        long start = System.nanoTime();
        metrics.requestStarted();
        String method = exchange.getRequestMethod();
        // Raw, so that an encoded newline cannot forge lines in the log.
        String path = exchange.getRequestURI().getRawPath();
        Headers headers = exchange.getRequestHeaders();
        CountingBody body = new CountingBody(exchange.getRequestBody());
        HttpEdge.Answer answer = edge.handle(new HttpRequest(method, path, name -> {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.size() == 1 ? values.getFirst()
                    : String.join(",", values);
        }, () -> readBody(headers, body, config.maxBodyBytes())), ERRORS);
        HttpResponse response = answer.response();
        int sent = 0;
        try {
            sent = send(exchange, method, response, bodyLeftUnread(headers, body));
        } finally {
            long nanos = System.nanoTime() - start;
            metrics.requestFinished(answer.route(), response.status(), nanos);
            if (ACCESS.isInfoEnabled()) {
                ACCESS.info(String.format(Locale.ROOT, "%s %s %d %.2f ms %d bytes in %d bytes out", method, path,
                        response.status(), nanos / 1e6, body.count, sent));
            }
        }
    }

    /** SageMaker's health check: 200 only with a loaded, warmed model, and not while shutting down. */
    private HttpResponse ping() {
        if (closing.getAsBoolean()) {
            throw new RequestException(Kind.UNAVAILABLE, "shutting down");
        }
        // The source's public name, never its path: clients need not learn the server's disk layout.
        ServedModel model = slot.peek().orElseThrow(() -> new RequestException(Kind.UNAVAILABLE,
                "no model loaded yet from the " + config.modelSource().publicName() + "; the server log says why"));
        return HttpResponse.json(200, Map.of("status", "ready", "model_version", model.version()));
    }

    /** Scoring on the slot's current model, held for the request so a hot swap cannot close it midway. */
    private final class SlotScorer implements Invocations.Scorer {
        @Override
        public void requireModel() {
            if (slot.peek().isEmpty()) {
                throw new RequestException(Kind.UNAVAILABLE, "no model loaded yet; retry when GET /ping answers 200");
            }
        }

        @Override
        public HttpResponse score(List<float[]> images) {
            ServedModel model = slot.acquire().orElseThrow(() -> new RequestException(Kind.UNAVAILABLE, 
                    "no model loaded; retry when GET /ping answers 200"));
            try {
                List<Prediction> predictions = model.predictor().predictBatch(images);
                return HttpResponse.json(200, PredictionEncoder.encode(predictions, model.version()));
            } finally {
                model.release();
            }
        }
    }

    private HttpResponse models(HttpRequest request) {
        InputDecoder.requireJsonAccepted(request.header("accept"));
        ServedModel model = slot.peek().orElseThrow(() -> new RequestException(Kind.UNAVAILABLE,
                "no model loaded yet from the " + config.modelSource().publicName() + "; retry when GET /ping"
                        + " answers 200"));
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("version", model.version());
        out.put("source", model.source());
        out.put("loaded_at", model.loadedAt().toString());
        out.put("warm_up_ms", model.warmUpMillis());
        model.manifest().ifPresent(manifest -> {
            out.put("created_at", manifest.createdAt());
            out.set("architecture", Json.mapper().valueToTree(manifest.architecture()));
            out.set("metrics", Json.mapper().valueToTree(manifest.metrics()));
            out.put("parent", manifest.parent());
        });
        ObjectNode batching = out.putObject("batching");
        batching.put("enabled", config.batching().enabled());
        batching.put("max_batch", config.batching().maxBatch());
        batching.put("max_wait_us", config.batching().maxWaitMicros());
        return HttpResponse.json(200, out);
    }

    /**
     * Reads the body within {@code limit}: a declared Content-Length over it is refused before
     * anything is read; a chunked body is counted as it arrives and refused as soon as it passes
     * the limit, so no more than {@code limit} bytes are ever held.
     */
    static byte[] readBody(Headers headers, CountingBody body, long limit) {
        String declared = headers.getFirst("Content-Length");
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw RequestException.badInput("Content-Length '" + declared + "' is not a number");
            }
            if (length > limit) {
                throw tooLarge(length + " bytes", limit);
            }
            if (length >= 0) {
                // The usual case: read straight into an array of the declared size, no copies.
                return body.readExactly((int) length);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        byte[] buffer = new byte[16384];
        long total = 0;
        int read;
        while ((read = body.read(buffer)) != -1) {
            total += read;
            if (total > limit) {
                // Read on (discarding, never storing) for a while so that a client that is still
                // sending gets to read our 413 instead of a connection reset.
                body.skipUpTo(limit);
                throw tooLarge("more than " + limit + " bytes", limit);
            }
            out.write(buffer, 0, read);
        }
        return out.toByteArray();
    }

    private static RequestException tooLarge(String size, long limit) {
        return new RequestException(Kind.TOO_LARGE, "request body of " + size + " is over the limit of " + limit
                + " bytes; send fewer images per request");
    }

    /**
     * Whether the client declared more body than was read: a request refused before its body was
     * read (413, a 503 of admission control). Its connection is closed after the answer, as the
     * rest of the body would otherwise be read as the next request.
     */
    private static boolean bodyLeftUnread(Headers headers, CountingBody body) {
        String declared = headers.getFirst("Content-Length");
        if (declared == null) {
            return headers.getFirst("Transfer-Encoding") != null && body.count == 0;
        }
        try {
            return Long.parseLong(declared.trim()) > body.count;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** Writes the response; returns the body bytes sent (0 when the client has gone). */
    private int send(HttpExchange exchange, String method, HttpResponse response, boolean bodyLeftUnread) {
        try (exchange) {
            Headers out = exchange.getResponseHeaders();
            if (response.contentType() != null) {
                out.set("Content-Type", response.contentType());
            }
            response.headers().forEach(out::set);
            if (response.status() == 413 || bodyLeftUnread) {
                out.set("Connection", "close"); // the rest of the body is left unread
            }
            if (closing.getAsBoolean()) {
                out.set("Connection", "close"); // move keep-alive clients off a server that is stopping
            }
            if (method.equals("HEAD")) {
                out.set("Content-Length", Integer.toString(response.body().length));
                exchange.sendResponseHeaders(response.status(), -1);
                return 0;
            }
            exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(response.body());
            }
            return response.body().length;
        } catch (IOException e) {
            LOG.debug("could not send the response to {} {}: {}", method, exchange.getRequestURI().getRawPath(),
                    e.toString());
            return 0;
        }
    }

    /** The request body, counting what was read for the access log. */
    static final class CountingBody {
        private final InputStream in;
        long count;

        CountingBody(InputStream in) {
            this.in = in;
        }

        /** Reads body bytes; a client that disconnects or breaks the framing midway gets a 400. */
        int read(byte[] buffer) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                throw RequestException.badInput("the request body ended early or is malformed (" + e.getMessage() + ")");
            }
            if (n > 0) {
                count += n;
            }
            return n;
        }

        /** Reads exactly {@code length} bytes; a body that ends sooner gets a 400. */
        byte[] readExactly(int length) {
            byte[] bytes;
            try {
                bytes = in.readNBytes(length);
            } catch (IOException e) {
                throw RequestException.badInput("the request body ended early or is malformed (" + e.getMessage() + ")");
            }
            count += bytes.length;
            if (bytes.length < length) {
                throw RequestException.badInput("the request body ended after " + bytes.length + " of the "
                        + length + " bytes its Content-Length declares");
            }
            return bytes;
        }

        void skipUpTo(long max) {
            byte[] buffer = new byte[16384];
            long skipped = 0;
            try {
                int n;
                while (skipped < max && (n = in.read(buffer, 0, (int) Math.min(buffer.length, max - skipped))) != -1) {
                    skipped += n;
                    count += n;
                }
            } catch (IOException e) {
                // the client gave up; nothing to do
            }
        }
    }
}
