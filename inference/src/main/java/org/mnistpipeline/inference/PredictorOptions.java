package org.mnistpipeline.inference;

/**
 * How an {@link OnnxPredictor} runs its model. Validated when built, so a bad setting fails at
 * start-up rather than on the first request.
 *
 * @param intraOpThreads threads ONNX Runtime may use inside one operator (one call); 2 suits a
 *                       Lambda function with 2 vCPUs and a small CNN, more rarely helps
 * @param maxBatchSize   images per forward pass: larger batches are split into passes of this
 *                       size, which bounds the native memory one request can take
 */
public record PredictorOptions(int intraOpThreads, int maxBatchSize) {
    public static final int DEFAULT_INTRA_OP_THREADS = 2;
    public static final int DEFAULT_MAX_BATCH_SIZE = 256;

    public PredictorOptions {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be at least 1, got " + intraOpThreads);
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be at least 1, got " + maxBatchSize);
        }
    }

    public static PredictorOptions defaults() {
        return new PredictorOptions(DEFAULT_INTRA_OP_THREADS, DEFAULT_MAX_BATCH_SIZE);
    }

    public PredictorOptions withIntraOpThreads(int threads) {
        return new PredictorOptions(threads, maxBatchSize);
    }

    public PredictorOptions withMaxBatchSize(int size) {
        return new PredictorOptions(intraOpThreads, size);
    }
}
