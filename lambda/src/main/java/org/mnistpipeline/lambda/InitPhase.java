package org.mnistpipeline.lambda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BiFunction;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.http.InputDecoder;

/**
 * What the function does in Lambda's init phase, two things at once: the model loads on a thread of
 * its own (checksums, ONNX Runtime's native library, the session: file and native work; also the
 * environment id's SecureRandom), while the handler's thread runs the Java code every request runs
 * except the model (event JSON, routing, the drawing page's answer and its JSON, PNG decoding through
 * ImageIO and AWT, MNIST preprocessing). That code would otherwise be loaded and first interpreted on
 * the first user's request, after the load. Measured with {@code bench/lambda-coldstart-ab.sh}
 * (docs/lambda.md, "Cold start").
 *
 * <p>Nothing here is seen from outside: the warm-up request is answered quietly (no metrics line,
 * the cold-start flag left for the first real request), and a failed load is logged as before,
 * with requests answering 503 and retrying it ({@link ModelHolder}).
 */
final class InitPhase {
    /** A real MNIST digit (a 7, 247 bytes), decoded by the warm-up as a user's drawing would be. */
    private static final String WARM_UP_PNG = "warm-up.png";
    /** {@code GET /}: answered without the model, through the same parsing, routing and encoding as a prediction. */
    private static final byte[] PAGE_EVENT = ("{\"version\":\"2.0\",\"rawPath\":\"/\",\"headers\":{\"accept\":"
            + "\"text/html\"},\"requestContext\":{\"http\":{\"method\":\"GET\",\"path\":\"/\"}},\"isBase64Encoded\":false}")
            .getBytes(StandardCharsets.UTF_8);

    private InitPhase() {}

    /**
     * Loads the model and warms the request path; returns when both are done. Never throws for a failed load.
     *
     * @param source where the model comes from ({@code MODEL_URI} in S3 or {@code MODEL_DIR}), for the log
     */
    static void run(FunctionEnvironment env, BiFunction<byte[], String, byte[]> handler, String source) {
        Throwable[] failure = new Throwable[1];
        Thread loading = Thread.ofPlatform().name("model-load").start(() -> {
            env.id(); // the environment id's SecureRandom, ready before the first request's metrics line
            try {
                env.model.get();
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        });
        warmUp(env, handler);
        try {
            loading.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the model loaded", e);
        }
        // join() orders the loader's writes before these reads.
        if (failure[0] == null) {
            env.log.info("model loaded", "modelVersion", env.model.get().modelVersion());
        } else {
            Throwable cause = failure[0] instanceof RequestException && failure[0].getCause() != null
                    ? failure[0].getCause() : failure[0];
            env.log.error("init", "model not loaded from " + source + "; requests answer 503 until"
                    + " it loads", cause);
        }
    }

    private static void warmUp(FunctionEnvironment env, BiFunction<byte[], String, byte[]> handler) {
        env.quiet(true);
        try {
            handler.apply(PAGE_EVENT, "init");
            try (MemoryBudget.Lease lease = env.budget.lease()) {
                new InputDecoder(env.config.maxPixels(), env.budget).decode("image/png", warmUpPng(), lease);
            }
        } catch (RuntimeException e) {
            // A warm-up is an optimisation: whatever it meets, the real requests will meet and report.
            env.log.info("init warm-up skipped", "reason", String.valueOf(e));
        } finally {
            env.quiet(false);
        }
    }

    static byte[] warmUpPng() {
        try (InputStream in = InitPhase.class.getResourceAsStream(WARM_UP_PNG)) {
            if (in == null) {
                throw new IllegalStateException(WARM_UP_PNG + " is missing from the mnist-lambda jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + WARM_UP_PNG, e);
        }
    }
}
