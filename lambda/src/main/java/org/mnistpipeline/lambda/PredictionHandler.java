package org.mnistpipeline.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.crac.Core;
import org.crac.Resource;
import org.mnistpipeline.inference.InferenceException;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictionEncoder;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.inference.TensorDecoders;
import org.mnistpipeline.inference.http.HttpErrors;
import org.mnistpipeline.inference.http.HttpException;
import org.mnistpipeline.inference.http.InputDecoder;
import org.mnistpipeline.io.Json;

/**
 * The Lambda entry point ({@code org.mnistpipeline.lambda.PredictionHandler::handleRequest}). A
 * stream handler, so the event JSON is parsed here, by Jackson, without the events library.
 *
 * <ul>
 *   <li><b>Function URL / HTTP API payload 2.0</b> ({@code version: "2.0"}): {@code POST /} or
 *       {@code POST /invocations} take the server's content types (images, JSON, NPY, CSV) with
 *       the server's statuses; {@code GET /ping}; {@code GET /predictions/{sha256}} answers a cached
 *       prediction by its key (the {@code ETag} of the POST that made it), so a CDN can serve repeats.
 *       The answer is the v2 response object {@code {statusCode, headers, body, isBase64Encoded}}.</li>
 *   <li><b>Direct invocation</b> with {@code {"instances": [...]}} (or a bare array): the predictions
 *       JSON itself, or {@code {"error": ..., "status": 4xx}}.</li>
 *   <li><b>S3 object-created</b> ({@code Records[].eventSource == "aws:s3"}): each object is scored
 *       by the {@link BatchScorer} ({@link S3BatchScorer}: streamed, predictions written next to it);
 *       the answer is a summary per object.</li>
 * </ul>
 *
 * Client mistakes are 4xx with {@code {"error": ...}} (statuses from {@link HttpErrors}), never an
 * unhandled exception. Every invocation writes one EMF metrics line to stdout.
 *
 * <p>The model is loaded eagerly, in the constructor: that is Lambda's init phase, which runs
 * with a full CPU allotment and, with SnapStart, is captured in the snapshot; lazily it would land
 * on the first user's request. A failed load does not fail init: requests answer 503 and retry the
 * load, so the log says why instead of a crash loop. With SnapStart, the registered CRaC resource
 * also runs warm-up requests through the full path before the snapshot ({@link SnapStartPriming}).
 */
public final class PredictionHandler implements RequestStreamHandler {
    private static final String JSON = "application/json";
    private static final String PREDICTIONS_PREFIX = "/predictions/";
    /** Room for the event envelope around a body (headers, request context). */
    private static final long ENVELOPE_BYTES = 1024 * 1024;

    private final LambdaConfig config;
    private final ModelHolder model;
    private final PredictionCache cache;
    private final InputDecoder decoder;
    private final BatchScorer batchScorer;
    private final LambdaLog log;
    private final ObjectMapper mapper;
    /** Compact whatever the shared mapper's default: a log line or response is one line. */
    private final ObjectWriter writer;
    /** Held here: CRaC keeps registered resources only weakly. */
    private final SnapStartPriming priming;
    private volatile boolean coldStart = true;
    private volatile boolean quiet;
    private volatile String environmentId = UUID.randomUUID().toString();

    /** What Lambda calls: configuration from the environment, the model from {@code MODEL_DIR}. */
    public PredictionHandler() {
        this(LambdaConfig.fromEnvironment(System.getenv()));
    }

    public PredictionHandler(LambdaConfig config) {
        this(config, new LocalModelLoader(config.modelDir()),
                loaded -> OnnxPredictor.fromBytes(loaded.onnx(), loaded.version(), PredictorOptions.defaults()),
                S3BatchScorer.lazyFromEnvironment(System.getenv()), System.out, Clock.systemUTC());
    }

    /** Everything passed in, so tests can count predictions, capture stdout and plug a batch scorer. */
    PredictionHandler(LambdaConfig config, ModelLoader loader, Function<LoadedModel, Predictor> predictors,
            BatchScorer batchScorer, PrintStream stdout, Clock clock) {
        this.config = config;
        this.model = new ModelHolder(loader, predictors);
        this.cache = new PredictionCache(config.cacheEntries());
        this.decoder = new InputDecoder(config.maxPixels());
        this.batchScorer = batchScorer;
        this.mapper = Json.mapper();
        this.writer = mapper.writer().without(SerializationFeature.INDENT_OUTPUT);
        this.log = new LambdaLog(stdout, writer, mapper, clock);
        this.priming = new SnapStartPriming(this);
        Core.getGlobalContext().register(priming);
        try {
            Predictor p = model.get();
            log.info("model loaded", "modelVersion", p.modelVersion());
        } catch (HttpException e) {
            log.error("init", "model not loaded from " + config.modelDir() + "; requests answer 503 until it loads",
                    e.getCause());
        }
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String requestId = context == null || context.getAwsRequestId() == null ? "local" : context.getAwsRequestId();
        // One byte past the limit is enough to know the event is too large; more is never held.
        byte[] event = input.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxEventBytes() + 1));
        output.write(handle(event, requestId));
    }

    // ---------------------------------------------------------------------------------------------
    // Dispatch by event type

    /**
     * Handles one event given as bytes; what {@link #handleRequest} writes. Throws only
     * {@link BatchFailed}, for an S3 event a retry may fix, so that the invocation fails.
     */
    byte[] handle(byte[] event, String requestId) {
        long start = System.nanoTime();
        Outcome outcome;
        BatchFailed retry = null;
        try {
            if (event.length > maxEventBytes()) {
                throw new InferenceException(InferenceException.Kind.TOO_LARGE, "the event is " + event.length
                        + " bytes, over this function's limit of " + maxEventBytes() + " bytes");
            }
            JsonNode root = parseEvent(event);
            outcome = switch (EventType.of(root)) {
                case HTTP_V2 -> http(root, requestId);
                case S3 -> s3(root, requestId);
                case DIRECT -> direct(event, requestId);
            };
        } catch (BatchFailed e) {
            retry = e;
            outcome = e.outcome;
        } catch (RuntimeException e) {
            outcome = plainError("unknown", "other", e, requestId);
        }
        if (!quiet) {
            log.metrics(new LambdaLog.Invocation(requestId, outcome.event, outcome.route, outcome.status,
                    model.peek().map(Predictor::modelVersion).orElse(null), outcome.images, outcome.cacheHits,
                    (System.nanoTime() - start) / 1e6, coldStart, environmentId));
            coldStart = false;
        }
        if (retry != null) {
            throw retry;
        }
        return outcome.bytes;
    }

    /** The event types this function takes. */
    enum EventType {
        HTTP_V2, S3, DIRECT;

        static EventType of(JsonNode root) {
            if (root.isObject() && root.has("Records")) {
                JsonNode records = root.get("Records");
                if (records.isArray() && !records.isEmpty() && allS3(records)) {
                    return S3;
                }
                throw new InferenceException(InferenceException.Kind.BAD_INPUT, "unsupported event source "
                        + records.path(0).path("eventSource").asText("(none)") + "; this function takes function URL"
                        + " or HTTP API (payload 2.0) events, S3 object-created events and {\"instances\": [...]}");
            }
            if (root.isObject() && root.path("requestContext").has("http")
                    && "2.0".equals(root.path("version").asText())) {
                return HTTP_V2;
            }
            if (root.isObject() && root.has("httpMethod") && root.has("requestContext")) {
                throw new InferenceException(InferenceException.Kind.BAD_INPUT, "API Gateway REST (payload 1.0)"
                        + " events are not supported; use a function URL or an HTTP API with payload format 2.0");
            }
            return DIRECT;
        }

        private static boolean allS3(JsonNode records) {
            for (JsonNode r : records) {
                if (!"aws:s3".equals(r.path("eventSource").asText())) {
                    return false;
                }
            }
            return true;
        }
    }

    /** What an invocation answered, and what its metrics line says. */
    private record Outcome(byte[] bytes, String event, String route, int status, int images, int cacheHits) {}

    private JsonNode parseEvent(byte[] event) {
        try {
            JsonNode root = mapper.readTree(event);
            if (root == null || !(root.isObject() || root.isArray())) {
                throw new InferenceException(InferenceException.Kind.BAD_INPUT,
                        "the event must be a JSON object or array, such as {\"instances\": [...]}");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new InferenceException(InferenceException.Kind.BAD_INPUT, "the event is not valid JSON ("
                    + e.getOriginalMessage() + "); send {\"instances\": [...]}");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read an in-memory event", e);
        }
    }

    private long maxEventBytes() {
        // A base64 body is 4/3 of its decoded size; the envelope adds headers and context.
        return config.maxPayloadBytes() / 3 * 4 + 4 + ENVELOPE_BYTES;
    }

    // ---------------------------------------------------------------------------------------------
    // Function URL / HTTP API v2

    private Outcome http(JsonNode event, String requestId) {
        String method = event.path("requestContext").path("http").path("method").asText("").toUpperCase(Locale.ROOT);
        String path = event.path("rawPath").asText("/");
        Map<String, String> headers = headers(event.path("headers"));
        String route = "other";
        try {
            if (path.equals("/ping")) {
                route = "GET /ping";
                requireMethod(method, path, "GET");
                return outcome(ping(), route, 0, 0);
            }
            if (path.equals("/") || path.equals("/invocations")) {
                route = "POST /invocations";
                requireMethod(method, path, "POST");
                return invocations(event, headers, route);
            }
            if (path.startsWith(PREDICTIONS_PREFIX)) {
                route = "GET /predictions";
                requireMethod(method, path, "GET");
                return outcome(cached(path.substring(PREDICTIONS_PREFIX.length()), headers), route, 1, 1);
            }
            throw HttpException.notFound("no such path: " + path + "; this function answers GET /ping,"
                    + " POST / (or /invocations) and GET /predictions/{sha256}");
        } catch (RuntimeException e) {
            return outcome(httpError(e, requestId), route, 0, 0);
        }
    }

    private Outcome outcome(HttpResponse response, String route, int images, int hits) {
        boolean answered = response.statusCode() == 200 || response.statusCode() == 304;
        return new Outcome(write(response.toJson(mapper)), "http", route, response.statusCode(),
                answered ? images : 0, answered ? hits : 0);
    }

    private static void requireMethod(String method, String path, String allowed) {
        boolean ok = method.equals(allowed) || (allowed.equals("GET") && method.equals("HEAD"));
        if (!ok) {
            throw new HttpException.MethodNotAllowed(method, path, allowed.equals("GET") ? "GET, HEAD" : allowed);
        }
    }

    private HttpResponse ping() {
        Predictor p = model.get();
        ObjectNode body = mapper.createObjectNode().put("status", "ready").put("model_version", p.modelVersion());
        return HttpResponse.json(200, body.toString()).withHeader("cache-control", "no-store");
    }

    private Outcome invocations(JsonNode event, Map<String, String> headers, String route) {
        String accept = headers.get("accept");
        if (!InputDecoder.acceptsJson(accept)) {
            throw InputDecoder.notAcceptable(accept);
        }
        String contentType = headers.get("content-type");
        decoder.checkSupported(contentType);
        byte[] body = body(event);
        Predictor predictor = model.get();
        List<float[]> images = decoder.decode(contentType, body);
        if (images.isEmpty()) {
            throw new InferenceException(InferenceException.Kind.BAD_INPUT, "the request holds no images");
        }
        PredictionCache.Answer answer = cache.predict(images, predictor);
        String etag = answer.etag();
        HttpResponse response = HttpResponse.json(200, utf8(PredictionEncoder.encode(answer.predictions(),
                predictor.modelVersion())))
                .withHeader("cache-control", "public, max-age=" + config.cacheMaxAge())
                .withHeader("etag", quote(etag));
        if (images.size() == 1) {
            response = response.withHeader("content-location", PREDICTIONS_PREFIX + etag);
        }
        return outcome(response, route, images.size(), answer.hits());
    }

    /** {@code GET /predictions/{key}}: from the LRU only; the model never runs here. */
    private HttpResponse cached(String key, Map<String, String> headers) {
        if (!PredictionCache.isKey(key)) {
            throw new HttpException(400, "'" + abbreviate(key) + "' is not a prediction key: use the 64 hex digits"
                    + " of the ETag a POST answered with");
        }
        Prediction p = cache.peek(key).orElseThrow(() -> HttpException.notFound("no cached prediction " + key
                + "; POST the image to / (cached predictions are per function instance and model version)"));
        String etag = quote(key);
        HttpResponse response = headers.getOrDefault("if-none-match", "").contains(etag)
                ? new HttpResponse(304, Map.of(), "", false)
                : HttpResponse.json(200, utf8(PredictionEncoder.encode(List.of(p), p.modelVersion())));
        return response.withHeader("cache-control", "public, max-age=" + config.cacheMaxAge())
                .withHeader("etag", etag);
    }

    /** The body's bytes: base64-decoded when flagged, refused over the payload limit before decoding. */
    private byte[] body(JsonNode event) {
        JsonNode node = event.get("body");
        if (node == null || node.isNull() || node.asText().isEmpty()) {
            throw new InferenceException(InferenceException.Kind.BAD_INPUT,
                    "the request has no body; send an image or {\"instances\": [...]}");
        }
        String text = node.asText();
        if (event.path("isBase64Encoded").asBoolean(false)) {
            checkSize(decodedLength(text));
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new InferenceException(InferenceException.Kind.BAD_INPUT, "the body is marked isBase64Encoded"
                        + " but is not valid base64 (" + e.getMessage() + ")");
            }
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        checkSize(bytes.length);
        return bytes;
    }

    private static long decodedLength(String base64) {
        int n = base64.length();
        int padding = n > 0 && base64.charAt(n - 1) == '=' ? (n > 1 && base64.charAt(n - 2) == '=' ? 2 : 1) : 0;
        return (long) n * 3 / 4 - padding;
    }

    private void checkSize(long bytes) {
        if (bytes > config.maxPayloadBytes()) {
            throw new InferenceException(InferenceException.Kind.TOO_LARGE, "request body of " + bytes
                    + " bytes is over Lambda's synchronous payload limit of " + config.maxPayloadBytes()
                    + " bytes; send fewer images per request, or put them in S3 for batch scoring");
        }
    }

    private static Map<String, String> headers(JsonNode node) {
        Map<String, String> headers = new HashMap<>();
        node.properties().forEach(e -> headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().asText()));
        return headers;
    }

    /** The edge's one exception→status step, for v2 responses. */
    private HttpResponse httpError(RuntimeException error, String requestId) {
        int status = HttpErrors.status(error);
        if (status >= 500) {
            log.error(requestId, "request failed with " + status, status == 503 ? error.getCause() : error);
        }
        ObjectNode body = mapper.createObjectNode().put("error", HttpErrors.clientMessage(error));
        HttpResponse response = HttpResponse.json(status, body.toString()).withHeader("cache-control", "no-store");
        if (error instanceof HttpException.MethodNotAllowed notAllowed) {
            response = response.withHeader("allow", notAllowed.allow());
        }
        return response;
    }

    // ---------------------------------------------------------------------------------------------
    // Direct invocation and S3

    private Outcome direct(byte[] event, String requestId) {
        try {
            checkSize(event.length);
            Predictor predictor = model.get();
            List<float[]> images = decoder.decode(TensorDecoders.JSON, event);
            if (images.isEmpty()) {
                throw new InferenceException(InferenceException.Kind.BAD_INPUT, "the event holds no images");
            }
            PredictionCache.Answer answer = cache.predict(images, predictor);
            return new Outcome(PredictionEncoder.encode(answer.predictions(), predictor.modelVersion()), "direct",
                    "invoke", 200, images.size(), answer.hits());
        } catch (RuntimeException e) {
            return plainError("direct", "invoke", e, requestId);
        }
    }

    private Outcome s3(JsonNode root, String requestId) {
        try {
            List<BatchScorer.S3Object> objects = new ArrayList<>();
            for (JsonNode record : root.get("Records")) {
                JsonNode s3 = record.path("s3");
                String bucket = s3.path("bucket").path("name").asText("");
                String key = s3.path("object").path("key").asText("");
                if (bucket.isEmpty() || key.isEmpty()) {
                    throw new InferenceException(InferenceException.Kind.BAD_INPUT,
                            "an S3 record lacks s3.bucket.name or s3.object.key");
                }
                // S3 event keys are URL-encoded, with '+' for spaces: exactly what URLDecoder undoes.
                objects.add(new BatchScorer.S3Object(bucket, URLDecoder.decode(key, StandardCharsets.UTF_8),
                        s3.path("object").path("size").asLong(0)));
            }
            BatchScorer.Report report = batchScorer.score(List.copyOf(objects), model.get());
            ObjectNode out = mapper.createObjectNode().put("status", report.status())
                    .put("objects", report.results().size()).put("images", report.images())
                    .put("errors", report.errors());
            report.outputs().forEach(out.putArray("outputs")::add);
            var results = out.putArray("results");
            for (BatchScorer.ObjectResult r : report.results()) {
                ObjectNode node = results.addObject().put("bucket", r.bucket()).put("key", r.key())
                        .put("status", r.status()).put("images", r.images()).put("errors", r.errors());
                if (r.output() != null) {
                    node.put("output", r.output());
                }
                if (r.message() != null) {
                    node.put("message", r.message());
                }
                if (r.status() >= 400) {
                    // Nobody reads an S3-triggered function's answer: the log is where a refusal shows.
                    log.error(requestId, "s3://" + r.bucket() + "/" + r.key() + " not scored (" + r.status() + "): "
                            + r.message(), null);
                }
            }
            return new Outcome(write(out), "s3", "batch", report.status(), report.images(), 0);
        } catch (RuntimeException e) {
            Outcome failed = plainError("s3", "batch", e, requestId);
            if (failed.status >= 500 && failed.status != 501) {
                // S3 invokes asynchronously and retries a failed invocation (twice); an answer would
                // count as success. Outputs are overwritten, so a retry repeats no harm.
                throw new BatchFailed(failed, e);
            }
            return failed;
        }
    }

    /** A batch that failed for a reason a retry may fix (S3 unreachable, model not loaded). */
    static final class BatchFailed extends RuntimeException {
        private final transient Outcome outcome;

        private BatchFailed(Outcome outcome, RuntimeException cause) {
            super("S3 batch scoring failed with " + outcome.status + "; Lambda will retry the event", cause);
            this.outcome = outcome;
        }
    }

    /** {@code {"error": ..., "status": n}}: the answer to a non-HTTP event that failed. */
    private Outcome plainError(String eventType, String route, RuntimeException error, String requestId) {
        int status = HttpErrors.status(error);
        if (status >= 500 && status != 501) {
            log.error(requestId, eventType + " event failed with " + status,
                    status == 503 ? error.getCause() : error);
        }
        ObjectNode body = mapper.createObjectNode().put("error", HttpErrors.clientMessage(error)).put("status", status);
        return new Outcome(write(body), eventType, route, status, 0, 0);
    }

    // ---------------------------------------------------------------------------------------------
    // SnapStart and state

    /** The CRaC resource registered for SnapStart; tests call its hooks directly. */
    Resource checkpointResource() {
        return priming;
    }

    LambdaConfig config() {
        return config;
    }

    ModelHolder model() {
        return model;
    }

    PredictionCache cache() {
        return cache;
    }

    String environmentId() {
        return environmentId;
    }

    /** Warm-up requests must neither print metrics nor look like a cold start to real ones. */
    void quiet(boolean on) {
        quiet = on;
    }

    /** A restored snapshot is a new environment: nothing learnt or counted before it carries over. */
    void resetEnvironment() {
        cache.clear();
        environmentId = UUID.randomUUID().toString();
        coldStart = true;
    }

    LambdaLog log() {
        return log;
    }

    /** The status a response gives: {@code statusCode} for HTTP events, {@code status} otherwise. */
    int statusOf(byte[] response) {
        try {
            JsonNode node = mapper.readTree(response);
            return node.has("statusCode") ? node.get("statusCode").asInt() : node.path("status").asInt(200);
        } catch (IOException e) {
            throw new IllegalStateException("the handler wrote a response that is not JSON", e);
        }
    }

    private byte[] write(JsonNode node) {
        try {
            return writer.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response", e);
        }
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String quote(String etag) {
        return "\"" + etag + "\"";
    }

    private static String abbreviate(String text) {
        String safe = text.replaceAll("[^\\x20-\\x7e]", "?");
        return safe.length() > 80 ? safe.substring(0, 80) + "…" : safe;
    }

    /** A payload 2.0 response: {@code {statusCode, headers, body, isBase64Encoded}}. */
    record HttpResponse(int statusCode, Map<String, String> headers, String body, boolean isBase64Encoded) {
        static HttpResponse json(int status, String body) {
            return new HttpResponse(status, Map.of("content-type", JSON, "x-content-type-options", "nosniff"), body,
                    false);
        }

        HttpResponse withHeader(String name, String value) {
            Map<String, String> all = new LinkedHashMap<>(headers);
            all.put(name, value);
            return new HttpResponse(statusCode, Map.copyOf(all), body, isBase64Encoded);
        }

        ObjectNode toJson(ObjectMapper mapper) {
            ObjectNode node = mapper.createObjectNode();
            node.put("statusCode", statusCode);
            ObjectNode h = node.putObject("headers");
            headers.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> h.put(e.getKey(), e.getValue()));
            node.put("body", body);
            node.put("isBase64Encoded", isBase64Encoded);
            return node;
        }
    }
}
