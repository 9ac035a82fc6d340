package org.mnistpipeline.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The prediction handler's measured per-request cost, from {@code bench/results/lambda-cache-2026-11-28.json}: the
 * cache-off run (every request runs the model; no hit ratio assumed), handler time in-process on one thread, with
 * durations scaled to a memory size's CPU share (Lambda gives one full vCPU at 1,769 MB, proportionally less below)
 * by the benchmark itself. Lambda's own per-invocation overhead and the function URL are not in these figures.
 *
 * @param p99Ms             handler p99 at a full vCPU
 * @param meanMsByMemory    mean duration scaled to each memory size the benchmark priced (MB → ms)
 * @param usdPerMillionByMemory the benchmark's modelled cost per million requests, at its prices (MB → USD)
 */
public record MeasuredLambda(double p99Ms, Map<Integer, Double> meanMsByMemory, Map<Integer, Double> usdPerMillionByMemory) {
    static final String RESOURCE = "bench/lambda-cache-2026-11-28.json";
    /** Memory at which Lambda allots one full vCPU. */
    public static final int FULL_VCPU_MB = 1769;

    public MeasuredLambda {
        meanMsByMemory = Map.copyOf(meanMsByMemory);
        usdPerMillionByMemory = Map.copyOf(usdPerMillionByMemory);
    }

    public static MeasuredLambda load() {
        try (InputStream in = MeasuredLambda.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath (infra/pom.xml packages it)");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            for (JsonNode run : root.path("runs")) {
                if (run.path("cache_entries").asInt() == 0) {
                    Map<Integer, Double> mean = new TreeMap<>();
                    Map<Integer, Double> cost = new TreeMap<>();
                    run.path("cost_per_million_usd").properties().forEach(e -> {
                        int mb = Integer.parseInt(e.getKey().replace("MB", ""));
                        mean.put(mb, e.getValue().path("cpu_scaled").path("mean_duration_ms").asDouble());
                        cost.put(mb, e.getValue().path("cpu_scaled").path("total_usd").asDouble());
                    });
                    return new MeasuredLambda(run.path("p99_ms").asDouble(), mean, cost);
                }
            }
            throw new IllegalStateException(RESOURCE + " has no cache-off run");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The handler's p99 at {@code memoryMb}: the full-vCPU figure scaled by the CPU share. */
    public double p99Ms(int memoryMb) {
        return p99Ms * Math.max(1.0, (double) FULL_VCPU_MB / memoryMb);
    }
}
