package org.mnistpipeline.lambda;

import java.util.UUID;
import org.mnistpipeline.inference.MemoryBudget;

/**
 * What one execution environment holds between invocations: its configuration, its model, its
 * prediction cache and log, the memory budget its decodes reserve from, and the per-environment state a SnapStart snapshot must not carry over
 * (the environment id, the cold-start flag, the cache). {@link SnapStartPriming} works on this.
 */
final class FunctionEnvironment {
    final LambdaConfig config;
    final ModelHolder model;
    final PredictionCache cache;
    final LambdaLog log;
    /** Half the function's heap, as on the server: one request at a time here, so it refuses what could never fit. */
    final MemoryBudget budget = MemoryBudget.ofHeap();
    /** Made on first use: its SecureRandom costs a cold start tens of ms, which InitPhase spends off the handler's thread. */
    private volatile String id;
    private volatile boolean coldStart = true;
    private volatile boolean quiet;

    FunctionEnvironment(LambdaConfig config, ModelHolder model, LambdaLog log) {
        this.config = config;
        this.model = model;
        this.cache = new PredictionCache(config.cacheEntries());
        this.log = log;
    }

    String id() {
        String current = id;
        if (current == null) {
            synchronized (this) {
                if (id == null) {
                    id = UUID.randomUUID().toString();
                }
                current = id;
            }
        }
        return current;
    }

    /** True for the first invocation that asks since the environment (or its restore) began. */
    boolean takeColdStart() {
        boolean first = coldStart;
        coldStart = false;
        return first;
    }

    /** Warm-up requests must neither print metrics nor look like a cold start to real ones. */
    void quiet(boolean on) {
        quiet = on;
    }

    boolean quiet() {
        return quiet;
    }

    /** A restored snapshot is a new environment: nothing learnt or counted before it carries over. */
    void reset() {
        cache.clear();
        id = UUID.randomUUID().toString();
        coldStart = true;
    }
}
