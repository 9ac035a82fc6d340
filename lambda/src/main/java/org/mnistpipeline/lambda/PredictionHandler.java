package org.mnistpipeline.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.function.Function;
import org.crac.Core;
import org.crac.Resource;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.inference.http.HttpErrors;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.JsonStreams;

/**
 * The Lambda entry point ({@code org.mnistpipeline.lambda.PredictionHandler::handleRequest}). A
 * stream handler, so the event JSON is parsed here, by Jackson, without the events library, and
 * handed to the adapter of its type: {@link HttpApiAdapter} (function URL, HTTP API payload 2.0, on
 * the HTTP edge the model server shares), {@link DirectAdapter} ({@code {"instances": [...]}}) or
 * {@link S3EventAdapter} (object-created events). Client mistakes are 4xx with {@code {"error": ...}}
 * (statuses from {@link HttpErrors}), never an unhandled exception. Every invocation writes one EMF
 * metrics line to stdout.
 *
 * <p>The model is loaded eagerly, in the constructor: that is Lambda's init phase, which with
 * SnapStart is captured in the snapshot; lazily it would land on the first user's request. It loads
 * on its own thread while this one warms the request path ({@link InitPhase}). A failed load does not
 * fail init: requests answer 503 and retry the load, so the log says why instead of a crash loop. With SnapStart, the registered CRaC resource
 * also runs warm-up requests through the full path before the snapshot ({@link SnapStartPriming}).
 */
public final class PredictionHandler implements RequestStreamHandler {
    /** Room for the event envelope around a body (headers, request context). */
    private static final long ENVELOPE_BYTES = 1024 * 1024;

    private final FunctionEnvironment env;
    private final HttpApiAdapter http;
    private final DirectAdapter direct;
    private final S3EventAdapter s3;
    /** Held here: CRaC keeps registered resources only weakly. */
    private final SnapStartPriming priming;

    /** What Lambda calls: configuration from the environment, the model from {@code MODEL_URI} or {@code MODEL_DIR}. */
    public PredictionHandler() {
        this(LambdaConfig.fromEnvironment(System.getenv()));
    }

    public PredictionHandler(LambdaConfig config) {
        this(config, FunctionModels.loader(System.getenv(), config),
                loaded -> OnnxPredictor.fromBytes(loaded.onnx(), loaded.version(), PredictorOptions.defaults()),
                S3BatchScorer.lazyFromEnvironment(System.getenv()), System.out, Clock.systemUTC());
    }

    /** Everything passed in, so tests can count predictions, capture stdout and plug a batch scorer. */
    PredictionHandler(LambdaConfig config, ModelLoader loader, Function<LoadedModel, Predictor> predictors,
            BatchScorer batchScorer, PrintStream stdout, Clock clock) {
        this.env = new FunctionEnvironment(config, new ModelHolder(loader, predictors), new LambdaLog(stdout, clock));
        this.http = new HttpApiAdapter(env);
        this.direct = new DirectAdapter(env, http.invocations());
        this.s3 = new S3EventAdapter(env, batchScorer);
        this.priming = new SnapStartPriming(env, this::handle);
        Core.getGlobalContext().register(priming);
        // The log names where the model comes from: MODEL_URI in S3 or MODEL_DIR in the zip.
        InitPhase.run(env, this::handle, loader.toString());
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String requestId = context == null || context.getAwsRequestId() == null ? "local" : context.getAwsRequestId();
        // One byte past the limit is enough to know the event is too large; more is never held.
        byte[] event = input.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxEventBytes() + 1));
        BatchScorer.Deadline deadline = context == null ? BatchScorer.Deadline.NONE : context::getRemainingTimeInMillis;
        output.write(handle(event, requestId, deadline));
    }

    /** What an invocation answered, and what its metrics line says. */
    record Outcome(byte[] bytes, String event, String route, int status, int images, int cacheHits) {
        /** {@code {"error": ..., "status": n}}: the answer to a non-HTTP event that failed. */
        static Outcome refused(String event, String route, Throwable error) {
            int status = HttpErrors.status(error);
            byte[] body = Json.compact(Map.of("error", HttpErrors.clientMessage(error), "status", status))
                    .getBytes(StandardCharsets.UTF_8);
            return new Outcome(body, event, route, status, 0, 0);
        }
    }

    /**
     * Handles one event given as bytes; what {@link #handleRequest} writes. Throws only
     * {@link S3EventAdapter.BatchFailed}, for an S3 event a retry may fix, so that the invocation fails.
     */
    byte[] handle(byte[] event, String requestId) {
        return handle(event, requestId, BatchScorer.Deadline.NONE);
    }

    /** {@link #handle(byte[], String)} within the invocation's remaining time (S3 batches stop in time). */
    byte[] handle(byte[] event, String requestId, BatchScorer.Deadline deadline) {
        long start = System.nanoTime();
        Outcome outcome;
        S3EventAdapter.BatchFailed retry = null;
        try {
            if (event.length > maxEventBytes()) {
                throw new RequestException(Kind.TOO_LARGE, "the event is " + event.length + " bytes, over this function's"
                        + " limit of " + maxEventBytes() + " bytes");
            }
            JsonNode root = parseEvent(event);
            outcome = switch (EventType.of(root)) {
                case HTTP_V2 -> http.handle(root, requestId);
                case S3 -> s3.handle(root, requestId, deadline);
                case DIRECT -> direct.handle(event, requestId);
            };
        } catch (S3EventAdapter.BatchFailed e) {
            retry = e;
            outcome = e.outcome();
        } catch (RuntimeException e) {
            HttpErrors.log(e, "event", errorLog(env.log, requestId));
            outcome = Outcome.refused("unknown", "other", e);
        }
        if (!env.quiet()) {
            env.log.metrics(new LambdaLog.Invocation(requestId, outcome.event(), outcome.route(), outcome.status(),
                    env.model.peek().map(Predictor::modelVersion).orElse(null), outcome.images(),
                    outcome.cacheHits(), (System.nanoTime() - start) / 1e6, env.takeColdStart(), env.id()));
        }
        if (retry != null) {
            throw retry;
        }
        return outcome.bytes();
    }

    /** The event types this function takes. */
    enum EventType {
        HTTP_V2, S3, DIRECT;

        static EventType of(JsonNode root) {
            if (root.isObject() && root.has("Records")) {
                JsonNode records = root.get("Records");
                boolean allS3 = records.isArray() && !records.isEmpty();
                for (JsonNode r : records) {
                    allS3 &= "aws:s3".equals(r.path("eventSource").asText());
                }
                if (allS3) {
                    return S3;
                }
                throw RequestException.badInput("unsupported event source " + records.path(0).path("eventSource")
                        .asText("(none)") + "; this function takes function URL or HTTP API (payload 2.0) events,"
                        + " S3 object-created events and {\"instances\": [...]}");
            }
            if (root.isObject() && root.path("requestContext").has("http")
                    && "2.0".equals(root.path("version").asText())) {
                return HTTP_V2;
            }
            if (root.isObject() && root.has("httpMethod") && root.has("requestContext")) {
                throw RequestException.badInput("API Gateway REST (payload 1.0) events are not supported; use a"
                        + " function URL or an HTTP API with payload format 2.0");
            }
            return DIRECT;
        }
    }

    private static JsonNode parseEvent(byte[] event) {
        try {
            JsonNode root = JsonTree.read(event); // no ObjectMapper on the request path: JsonTree says why
            if (root == null || !(root.isObject() || root.isArray())) {
                throw RequestException.badInput("the event must be a JSON object or array, such as"
                        + " {\"instances\": [...]}");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw RequestException.badInput("the event is not valid JSON (" + JsonStreams.describe(e)
                    + "); send {\"instances\": [...]}");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read an in-memory event", e);
        }
    }

    private long maxEventBytes() {
        // A base64 body is 4/3 of its decoded size; the envelope adds headers and context.
        return env.config.maxPayloadBytes() / 3 * 4 + 4 + ENVELOPE_BYTES;
    }

    /** Refuses (413) a request body over Lambda's synchronous payload limit. */
    static void checkSize(long bytes, LambdaConfig config) {
        if (bytes > config.maxPayloadBytes()) {
            throw new RequestException(Kind.TOO_LARGE, "request body of " + bytes + " bytes is over Lambda's synchronous"
                    + " payload limit of " + config.maxPayloadBytes() + " bytes; send fewer images per request,"
                    + " or put them in S3 for batch scoring");
        }
    }

    /**
     * The shared edge's log policy, written as this function's JSON log lines. Routine refusals
     * are not logged: the client reads them in the answer, and a line each would only cost.
     */
    static HttpErrors.Log errorLog(LambdaLog log, String requestId) {
        return (message, error) -> log.error(requestId, message, error);
    }

    /** The environment SnapStart primes and restores; tests look into it. */
    FunctionEnvironment environment() {
        return env;
    }

    /** The CRaC resource registered for SnapStart; tests call its hooks directly. */
    Resource checkpointResource() {
        return priming;
    }
}
