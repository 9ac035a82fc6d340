package org.mnistpipeline.infra;

import java.util.Map;
import java.util.TreeMap;

/**
 * The SageMaker real-time instance types the stacks and {@code mnist aws plan} know: vCPUs and the share of them an
 * instance sustains. Facts from the EC2 instance-type specifications (SageMaker's ml.* types are the EC2 types of
 * the same name); prices are kept apart, dated and sourced, in {@link PriceBook}'s data file.
 */
public final class InstanceTypes {
    /**
     * @param vcpus          virtual CPUs (hyperthreads on x86)
     * @param sustainedShare share of those vCPUs the instance sustains: 1 for fixed-performance types, the CPU
     *                       credit baseline for burstable ones (t3.medium: 20 % per vCPU)
     * @param memoryGib      memory
     */
    public record Spec(String type, int vcpus, double sustainedShare, double memoryGib) {
        /** vCPUs the instance can keep busy indefinitely. */
        public double sustainedVcpus() {
            return vcpus * sustainedShare;
        }
    }

    private static final Map<String, Spec> SPECS = new TreeMap<>(Map.of(
            "ml.t3.medium", new Spec("ml.t3.medium", 2, 0.20, 4),
            "ml.c5.large", new Spec("ml.c5.large", 2, 1, 4),
            "ml.c5.xlarge", new Spec("ml.c5.xlarge", 4, 1, 8),
            "ml.c5.2xlarge", new Spec("ml.c5.2xlarge", 8, 1, 16),
            "ml.m5.large", new Spec("ml.m5.large", 2, 1, 8),
            "ml.m5.xlarge", new Spec("ml.m5.xlarge", 4, 1, 16),
            "ml.c6i.large", new Spec("ml.c6i.large", 2, 1, 4),
            "ml.c6i.xlarge", new Spec("ml.c6i.xlarge", 4, 1, 8)));

    private InstanceTypes() {}

    /** The spec of {@code type}; refuses a type this project holds no figures for, listing those it does. */
    public static Spec spec(String type) {
        Spec spec = type == null ? null : SPECS.get(type);
        if (spec == null) {
            throw new IllegalArgumentException("instance type '" + type + "' is not one whose vCPUs the scaling target"
                    + " is derived from; use one of " + SPECS.keySet());
        }
        return spec;
    }

    public static int vcpus(String type) {
        return spec(type).vcpus();
    }

    /** Every known type, by name. */
    public static Map<String, Spec> all() {
        return Map.copyOf(SPECS);
    }
}
