package org.mnistpipeline.lambda;

import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.inference.ImagePreprocessor;

/**
 * How the function runs, read once from its environment when the handler is built. Validated
 * here, so a bad setting fails the function's init phase rather than a request.
 *
 * @param modelDir        model package directory ({@code model.onnx}, {@code manifest.json},
 *                        {@code SHA256SUMS}); env {@code MODEL_DIR}, default {@value #DEFAULT_MODEL_DIR},
 *                        where the deployment zip puts the bundled model
 * @param cacheEntries    predictions kept in memory (LRU); env {@code CACHE_ENTRIES}; 0 turns the cache off
 * @param cacheMaxAge     seconds a CDN or browser may reuse a prediction ({@code Cache-Control: max-age});
 *                        env {@code CACHE_MAX_AGE_SECONDS}. Safe to make long: the key includes the
 *                        model version, so a new model never matches an old entry
 * @param maxPayloadBytes largest request body (after base64 decoding); Lambda's synchronous limit is 6 MB
 * @param maxPixels       largest image (width × height) decoded; bigger ones are refused from their header
 * @param warmUpRuns      requests run through the handler before a SnapStart snapshot; env {@code WARM_UP_RUNS}
 */
public record LambdaConfig(Path modelDir, int cacheEntries, int cacheMaxAge, long maxPayloadBytes, long maxPixels,
        int warmUpRuns) {
    public static final String DEFAULT_MODEL_DIR = "/var/task/model";
    public static final int DEFAULT_CACHE_ENTRIES = 10_000;
    /** A day: long enough for a CDN to absorb repeats, short enough to age out after a rollback. */
    public static final int DEFAULT_CACHE_MAX_AGE = 86_400;
    /** Lambda refuses synchronous payloads over 6 MB; refusing earlier with a clear 413 says why. */
    public static final long LAMBDA_SYNC_PAYLOAD_LIMIT = 6L * 1024 * 1024;
    public static final int DEFAULT_WARM_UP_RUNS = 5;

    public LambdaConfig {
        if (modelDir == null) {
            throw new IllegalArgumentException("modelDir must be set (env MODEL_DIR)");
        }
        if (cacheEntries < 0) {
            throw new IllegalArgumentException("CACHE_ENTRIES must be 0 (off) or more, got " + cacheEntries);
        }
        if (cacheMaxAge < 0) {
            throw new IllegalArgumentException("CACHE_MAX_AGE_SECONDS must be 0 or more, got " + cacheMaxAge);
        }
        if (maxPayloadBytes < 1) {
            throw new IllegalArgumentException("maxPayloadBytes must be positive, got " + maxPayloadBytes);
        }
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        if (warmUpRuns < 0) {
            throw new IllegalArgumentException("WARM_UP_RUNS must be 0 or more, got " + warmUpRuns);
        }
    }

    /** Defaults with the model in {@code modelDir}. */
    public static LambdaConfig defaults(Path modelDir) {
        return new LambdaConfig(modelDir, DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_MAX_AGE, LAMBDA_SYNC_PAYLOAD_LIMIT,
                ImagePreprocessor.DEFAULT_MAX_PIXELS, DEFAULT_WARM_UP_RUNS);
    }

    /** Reads {@code MODEL_DIR}, {@code CACHE_ENTRIES}, {@code CACHE_MAX_AGE_SECONDS} and {@code WARM_UP_RUNS}. */
    public static LambdaConfig fromEnvironment(Map<String, String> env) {
        String dir = env.getOrDefault("MODEL_DIR", "");
        LambdaConfig d = defaults(Path.of(dir.isBlank() ? DEFAULT_MODEL_DIR : dir));
        return new LambdaConfig(d.modelDir(), intVar(env, "CACHE_ENTRIES", d.cacheEntries()),
                intVar(env, "CACHE_MAX_AGE_SECONDS", d.cacheMaxAge()), d.maxPayloadBytes(), d.maxPixels(),
                intVar(env, "WARM_UP_RUNS", d.warmUpRuns()));
    }

    public LambdaConfig withCacheEntries(int entries) {
        return new LambdaConfig(modelDir, entries, cacheMaxAge, maxPayloadBytes, maxPixels, warmUpRuns);
    }

    public LambdaConfig withWarmUpRuns(int runs) {
        return new LambdaConfig(modelDir, cacheEntries, cacheMaxAge, maxPayloadBytes, maxPixels, runs);
    }

    private static int intVar(Map<String, String> env, String name, int fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
        }
    }
}
