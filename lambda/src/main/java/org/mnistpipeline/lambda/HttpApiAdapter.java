package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictionEncoder;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.inference.http.DrawingPage;
import org.mnistpipeline.inference.http.HttpEdge;
import org.mnistpipeline.inference.http.HttpEdge.Route;
import org.mnistpipeline.inference.http.HttpRequest;
import org.mnistpipeline.inference.http.HttpResponse;
import org.mnistpipeline.inference.http.InputDecoder;
import org.mnistpipeline.inference.http.Invocations;

/**
 * Function URL and HTTP API (payload 2.0) events, on the shared {@link HttpEdge}: {@code POST /}
 * or {@code POST /invocations} take the server's content types with the server's statuses;
 * {@code GET /} the server's drawing page ({@link DrawingPage}), which through CloudFront signs its
 * POSTs' bodies as the origin access control requires; {@code GET /ping}; {@code GET /predictions/{sha256}} answers a cached prediction by its key (the
 * {@code ETag} of the POST that made it), so a CDN can serve repeats. Answers are the v2 response
 * object {@code {statusCode, headers, body, isBase64Encoded}}.
 */
final class HttpApiAdapter {
    static final String PREDICTIONS_PREFIX = "/predictions/";

    private final FunctionEnvironment env;
    private final HttpEdge edge;
    private final Invocations invocations;

    HttpApiAdapter(FunctionEnvironment env) {
        this.env = env;
        this.invocations = new Invocations(new InputDecoder(env.config.maxPixels(), env.budget), new CachedScorer(),
                env.config.maxPayloadBytes());
        HttpResponse page = DrawingPage.response();
        this.edge = new HttpEdge("this function", List.of(
                Route.get("/ping", "GET /ping", request -> ping()),
                Route.get("/", "GET /", request -> page),
                Route.post("/", "POST /invocations", invocations),
                Route.post("/invocations", "POST /invocations", invocations),
                new Route("GET", PREDICTIONS_PREFIX, true, PREDICTIONS_PREFIX + "{sha256}", "GET /predictions",
                        this::cached)));
    }

    /** Direct invocations score through the same sequence, without routes. */
    Invocations invocations() {
        return invocations;
    }

    PredictionHandler.Outcome handle(JsonNode event, String requestId) {
        HttpRequest request = new HttpRequest(
                event.path("requestContext").path("http").path("method").asText("").toUpperCase(Locale.ROOT),
                event.path("rawPath").asText("/"), headers(event.path("headers"))::get, () -> body(event));
        HttpEdge.Answer answer = edge.handle(request, PredictionHandler.errorLog(env.log, requestId));
        HttpResponse r = answer.response();
        ObjectNode out = JsonTree.NODES.objectNode().put("statusCode", r.status());
        ObjectNode headers = out.putObject("headers");
        Map<String, String> all = new java.util.TreeMap<>(r.headers());
        if (r.contentType() != null) {
            all.put("content-type", r.contentType());
        }
        all.forEach(headers::put);
        out.put("body", new String(r.body(), StandardCharsets.UTF_8)).put("isBase64Encoded", false);
        return new PredictionHandler.Outcome(JsonTree.write(out), "http",
                answer.route(), r.status(), r.images(), r.cachedImages());
    }

    private HttpResponse ping() {
        return HttpResponse.json(200, Map.of("status", "ready", "model_version", env.model.get().modelVersion()));
    }

    /** Scoring through the prediction cache: repeats are answered without the model, and CDNs may keep answers. */
    private final class CachedScorer implements Invocations.Scorer {
        @Override
        public void requireModel() {
            env.model.get();
        }

        @Override
        public HttpResponse score(List<float[]> images) {
            Predictor predictor = env.model.get();
            PredictionCache.Answer answer = env.cache.predict(images, predictor);
            String etag = answer.etag();
            HttpResponse response = HttpResponse.json(200, PredictionEncoder.encode(answer.predictions(),
                    predictor.modelVersion())).withImages(images.size(), answer.hits());
            if (images.size() == 1) {
                response = response.withHeader("content-location", PREDICTIONS_PREFIX + etag);
            }
            return cacheable(response, etag);
        }
    }

    /** {@code GET /predictions/{key}}: from the LRU only; the model never runs here. */
    private HttpResponse cached(HttpRequest request) {
        String key = request.path().substring(PREDICTIONS_PREFIX.length());
        if (!PredictionCache.isKey(key)) {
            throw RequestException.badInput("'" + abbreviate(key) + "' is not a prediction key: use the 64 hex"
                    + " digits of the ETag a POST answered with");
        }
        Prediction p = env.cache.peek(key).orElseThrow(() -> new RequestException(Kind.NOT_FOUND, "no cached"
                + " prediction " + key + "; POST the image to / (cached predictions are per function instance and"
                + " model version)"));
        String ifNoneMatch = request.header("if-none-match");
        HttpResponse response = ifNoneMatch != null && ifNoneMatch.contains("\"" + key + "\"")
                ? new HttpResponse(304, null, new byte[0], Map.of(), 0, 0)
                : HttpResponse.json(200, PredictionEncoder.encode(List.of(p), p.modelVersion()));
        return cacheable(response.withImages(1, 1), key);
    }

    private HttpResponse cacheable(HttpResponse response, String etag) {
        return response.withHeader("cache-control", "public, max-age=" + env.config.cacheMaxAge())
                .withHeader("etag", "\"" + etag + "\"");
    }

    /** The body's bytes: base64-decoded when flagged, refused over the payload limit before decoding. */
    private byte[] body(JsonNode event) {
        JsonNode node = event.get("body");
        if (node == null || node.isNull() || node.asText().isEmpty()) {
            throw RequestException.badInput("the request has no body; send an image or {\"instances\": [...]}");
        }
        String text = node.asText();
        if (event.path("isBase64Encoded").asBoolean(false)) {
            int n = text.length();
            int padding = n > 0 && text.charAt(n - 1) == '=' ? (n > 1 && text.charAt(n - 2) == '=' ? 2 : 1) : 0;
            PredictionHandler.checkSize((long) n * 3 / 4 - padding, env.config);
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw RequestException.badInput("the body is marked isBase64Encoded but is not valid base64 ("
                        + e.getMessage() + ")");
            }
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        PredictionHandler.checkSize(bytes.length, env.config);
        return bytes;
    }

    private static Map<String, String> headers(JsonNode node) {
        Map<String, String> headers = new HashMap<>();
        node.properties().forEach(e -> headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().asText()));
        return headers;
    }

    private static String abbreviate(String text) {
        String safe = text.replaceAll("[^\\x20-\\x7e]", "?");
        return safe.length() > 80 ? safe.substring(0, 80) + "…" : safe;
    }
}
