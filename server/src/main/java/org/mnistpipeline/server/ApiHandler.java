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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.mnistpipeline.inference.InferenceException;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictionEncoder;
import org.mnistpipeline.inference.http.HttpErrors;
import org.mnistpipeline.inference.http.HttpException;
import org.mnistpipeline.inference.http.InputDecoder;
import org.mnistpipeline.io.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request goes through here: routing, the one exception→status mapping
 * ({@link HttpErrors}), metrics and the access log. Handlers return a {@link Response} or throw;
 * they never write to the exchange themselves, so every answer is counted and logged once.
 */
final class ApiHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** One line per request, without payloads; its own logger so it can be silenced. */
    private static final Logger ACCESS = LoggerFactory.getLogger("org.mnistpipeline.server.access");
    private static final String JSON = "application/json";
    /** The drawing page may talk to this server only: no other origin, even if someone edits it. */
    private static final String PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; "
            + "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' blob: data:; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors 'none'";

    /** The paths the server answers; the label bounds the metric series. */
    enum Route {
        ROOT("/", "GET"),
        PING("/ping", "GET"),
        INVOCATIONS("/invocations", "POST"),
        MODELS("/models", "GET"),
        METRICS("/metrics", "GET"),
        UNMATCHED("other", "");

        final String label;
        final String method;

        Route(String label, String method) {
            this.label = label;
            this.method = method;
        }

        static Route of(String path) {
            for (Route route : values()) {
                if (route != UNMATCHED && route.label.equals(path)) {
                    return route;
                }
            }
            return UNMATCHED;
        }

        /** HEAD is answered wherever GET is, as HTTP requires. */
        boolean allows(String requestMethod) {
            return method.equals(requestMethod) || (method.equals("GET") && requestMethod.equals("HEAD"));
        }

        String allowHeader() {
            return method.equals("GET") ? "GET, HEAD" : method;
        }
    }

    /** A complete answer, buffered: bodies are small, and a buffered body has a Content-Length. */
    record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
        static Response json(int status, Object value) {
            return new Response(status, JSON, Json.compact(value).getBytes(StandardCharsets.UTF_8), Map.of());
        }

        static Response error(int status, String message) {
            return json(status, Map.of("error", message));
        }

        Response withHeader(String name, String value) {
            var all = new LinkedHashMap<>(headers);
            all.put(name, value);
            return new Response(status, contentType, body, Map.copyOf(all));
        }
    }

    private final ServerConfig config;
    private final ModelSlot slot;
    private final InputDecoder decoder;
    private final Metrics metrics;
    private final BooleanSupplier closing;
    private final byte[] indexPage;

    ApiHandler(ServerConfig config, ModelSlot slot, Metrics metrics, BooleanSupplier closing, byte[] indexPage) {
        this.config = config;
        this.slot = slot;
        this.decoder = new InputDecoder(config.maxPixels());
        this.metrics = metrics;
        this.closing = closing;
        this.indexPage = indexPage;
    }

    @Override
    public void handle(HttpExchange exchange) {
        long start = System.nanoTime();
        metrics.requestStarted();
        String method = exchange.getRequestMethod();
        // Raw, so that an encoded newline cannot forge lines in the log.
        String path = exchange.getRequestURI().getRawPath();
        Route route = Route.of(path);
        CountingBody body = new CountingBody(exchange.getRequestBody());
        Response response;
        try {
            response = dispatch(route, method, path, exchange.getRequestHeaders(), body);
        } catch (Throwable e) {
            response = mapError(e, method, path);
        }
        int sent = 0;
        try {
            sent = send(exchange, method, response);
        } finally {
            long nanos = System.nanoTime() - start;
            metrics.requestFinished(route.label, response.status(), nanos);
            if (ACCESS.isInfoEnabled()) {
                ACCESS.info(String.format(Locale.ROOT, "%s %s %d %.2f ms %d bytes in %d bytes out", method, path,
                        response.status(), nanos / 1e6, body.count, sent));
            }
        }
    }

    private Response dispatch(Route route, String method, String path, Headers headers, CountingBody body) {
        if (route == Route.UNMATCHED) {
            throw HttpException.notFound("no such path: " + path
                    + "; this server answers GET /ping, POST /invocations, GET /models, GET /metrics and GET /");
        }
        if (!route.allows(method)) {
            throw new HttpException.MethodNotAllowed(method, path, route.allowHeader());
        }
        return switch (route) {
            case ROOT -> new Response(200, "text/html; charset=utf-8", indexPage, Map.of("Content-Security-Policy",
                    PAGE_POLICY));
            case PING -> ping();
            case INVOCATIONS -> invocations(headers, body);
            case MODELS -> models(headers);
            case METRICS -> new Response(200, Metrics.CONTENT_TYPE,
                    metrics.scrape(slot.peek().map(ServedModel::version).orElse(null)).getBytes(StandardCharsets.UTF_8),
                    Map.of());
            case UNMATCHED -> throw new AssertionError(route);
        };
    }

    /** SageMaker's health check: 200 only with a loaded, warmed model, and not while shutting down. */
    private Response ping() {
        if (closing.getAsBoolean()) {
            throw HttpException.unavailable("shutting down");
        }
        ServedModel model = slot.peek().orElseThrow(() -> HttpException.unavailable(
                "no model loaded yet from " + config.modelSource().describe() + "; the server log says why"));
        return Response.json(200, Map.of("status", "ready", "model_version", model.version()));
    }

    private Response invocations(Headers headers, CountingBody body) {
        requireJsonAccepted(headers);
        String contentType = headers.getFirst("Content-Type");
        decoder.checkSupported(contentType);
        if (slot.peek().isEmpty()) {
            throw HttpException.unavailable("no model loaded yet; retry when GET /ping answers 200");
        }
        byte[] bytes = readBody(headers, body, config.maxBodyBytes());
        List<float[]> images = decoder.decode(contentType, bytes);
        if (images.isEmpty()) {
            throw new InferenceException(InferenceException.Kind.BAD_INPUT, "the request holds no images");
        }
        ServedModel model = slot.acquire().orElseThrow(() -> HttpException.unavailable(
                "no model loaded; retry when GET /ping answers 200"));
        try {
            List<Prediction> predictions = model.predictor().predictBatch(images);
            return new Response(200, PredictionEncoder.CONTENT_TYPE,
                    PredictionEncoder.encode(predictions, model.version()), Map.of());
        } finally {
            model.release();
        }
    }

    private Response models(Headers headers) {
        requireJsonAccepted(headers);
        ServedModel model = slot.peek().orElseThrow(() -> HttpException.unavailable(
                "no model loaded yet from " + config.modelSource().describe()));
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
        return new Response(200, JSON, Json.compact(out).getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** Every response is JSON; a client that cannot take JSON is told so rather than surprised. */
    static void requireJsonAccepted(Headers headers) {
        List<String> values = headers.get("Accept");
        if (values == null || values.isEmpty() || InputDecoder.acceptsJson(String.join(",", values))) {
            return;
        }
        throw InputDecoder.notAcceptable(String.join(",", values));
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
                throw new HttpException(400, "Content-Length '" + declared + "' is not a number");
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

    private static HttpException tooLarge(String size, long limit) {
        return HttpException.tooLarge("request body of " + size + " is over the limit of " + limit
                + " bytes; send fewer images per request");
    }

    /** The one place an exception becomes a status: client mistakes are 4xx with their message. */
    private Response mapError(Throwable error, String method, String path) {
        int status = HttpErrors.status(error);
        if (status >= 500 && status != 503) {
            LOG.error("{} {} failed", method, path, error);
        } else {
            LOG.debug("{} {} refused with {}: {}", method, path, status, error.getMessage());
        }
        Response response = Response.error(status, HttpErrors.clientMessage(error));
        if (error instanceof HttpException.MethodNotAllowed notAllowed) {
            response = response.withHeader("Allow", notAllowed.allow());
        }
        if (status == 413) {
            response = response.withHeader("Connection", "close"); // the rest of the body is left unread
        }
        return response;
    }

    /** Writes the response; returns the body bytes sent (0 when the client has gone). */
    private int send(HttpExchange exchange, String method, Response response) {
        try (exchange) {
            Headers out = exchange.getResponseHeaders();
            out.set("Content-Type", response.contentType());
            out.set("Cache-Control", "no-store");
            out.set("X-Content-Type-Options", "nosniff");
            response.headers().forEach(out::set);
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
                throw new HttpException(400, "the request body ended early or is malformed (" + e.getMessage() + ")");
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
                throw new HttpException(400, "the request body ended early or is malformed (" + e.getMessage() + ")");
            }
            count += bytes.length;
            if (bytes.length < length) {
                throw new HttpException(400, "the request body ended after " + bytes.length + " of the "
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
