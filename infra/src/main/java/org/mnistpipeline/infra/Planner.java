package org.mnistpipeline.infra;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Sizes the deployment for a load from the measured figures and the price file: SageMaker instance type and count,
 * serverless settings, Lambda memory. Every number it gives is derived from a benchmark result or a sourced price;
 * where either is missing it says so instead.
 */
public final class Planner {
    private final MeasuredThroughput server;
    private final MeasuredLambda lambda;
    private final PriceBook prices;
    private final double headroom;

    public Planner(MeasuredThroughput server, MeasuredLambda lambda, PriceBook prices, double headroom) {
        if (!(headroom > 0 && headroom <= 1)) {
            throw new IllegalArgumentException("headroom must be in (0, 1], got " + headroom);
        }
        this.server = server;
        this.lambda = lambda;
        this.prices = prices;
        this.headroom = headroom;
    }

    /**
     * One instance type's sizing.
     *
     * @param perInstanceRps requests per second one instance is planned for (measured × sustained vCPUs × headroom)
     * @param count          instances: enough for the load, and never fewer than the stack's minimum of 2
     * @param hourlyUsd      the fleet's price per hour, if the type's price is on file
     */
    public record InstanceOption(InstanceTypes.Spec type, double perInstanceRps, int count, Optional<Double> hourlyUsd) {
        public Optional<Double> monthlyUsd() {
            return hourlyUsd.map(h -> h * PriceBook.HOURS_PER_MONTH);
        }
    }

    /**
     * @param memoryMb       serverless memory
     * @param maxConcurrency concurrent invocations to allow
     */
    public record ServerlessOption(int memoryMb, int maxConcurrency) {}

    /**
     * @param memoryMb     function memory
     * @param p99Ms        the handler's measured p99 scaled to that memory (model always run: cache off)
     * @param concurrency  environments busy on average at this load (Little's law on the scaled mean, with headroom)
     * @param monthlyUsd   requests and duration at the benchmark's modelled cost per million
     */
    public record LambdaOption(int memoryMb, double p99Ms, int concurrency, double monthlyUsd) {}

    /**
     * The whole recommendation.
     *
     * @param point       the measured operating point the server figures come from
     * @param recommended the cheapest instance option with a known price (empty when none has one)
     */
    public record Plan(double rps, Double p99Ms, MeasuredThroughput.Point point, List<InstanceOption> instances,
            Optional<InstanceOption> recommended, ServerlessOption serverless, LambdaOption lambda) {}

    /** Sizes for {@code rps} requests per second, with an optional p99 bound in milliseconds. */
    public Plan plan(double rps, Double p99Ms) {
        if (!(rps > 0)) {
            throw new IllegalArgumentException("--rps must be a positive number of requests per second, got " + rps);
        }
        MeasuredThroughput.Point point;
        if (p99Ms == null) {
            point = server.peak();
        } else {
            double lowest = server.points().stream().mapToDouble(MeasuredThroughput.Point::p99Ms).min().orElseThrow();
            point = server.peakWithin(p99Ms).orElseThrow(() -> new IllegalArgumentException(String.format(
                    java.util.Locale.ROOT, "no measured operating point has p99 <= %.2f ms: the lowest measured is"
                            + " %.2f ms (one client at a time); ask for a p99 of at least that", p99Ms, lowest)));
        }
        List<InstanceOption> options = new ArrayList<>();
        for (InstanceTypes.Spec type : InstanceTypes.all().values()) {
            double perInstance = server.instancePeakRps(type, point) * headroom;
            int count = Math.max(InfraSettings.DEFAULT_MIN_INSTANCES, (int) Math.ceil(rps / perInstance));
            options.add(new InstanceOption(type, perInstance, count, prices.hourly(type.type()).map(h -> h * count)));
        }
        options.sort(Comparator.comparing((InstanceOption o) -> o.type().type()));
        Optional<InstanceOption> cheapest = options.stream().filter(o -> o.hourlyUsd().isPresent())
                .min(Comparator.comparingDouble((InstanceOption o) -> o.hourlyUsd().orElseThrow())
                        .thenComparingInt(InstanceOption::count));
        return new Plan(rps, p99Ms, point, options, cheapest, serverless(rps), lambda(rps, p99Ms));
    }

    /**
     * Serverless: 2,048 MB (the server's measured peak RSS under load is 349 MiB, so 1,024 MB would hold it;
     * serverless allots CPU in proportion to memory, so one step up), and concurrency from Little's law on the
     * single-client p99 (each invocation holds a slot that long), with headroom, capped at SageMaker's 200.
     */
    ServerlessOption serverless(double rps) {
        double serviceSeconds = server.points().getFirst().p99Ms() / 1000;
        int concurrency = (int) Math.min(200, Math.max(1, Math.ceil(rps * serviceSeconds / headroom)));
        return new ServerlessOption(InfraSettings.Serverless.DEFAULT_MEMORY_MB, concurrency);
    }

    /** Lambda: the smallest priced memory whose scaled p99 meets the bound; 1,024 MB when none is asked for. */
    LambdaOption lambda(double rps, Double p99Ms) {
        int memory = 1024;
        if (p99Ms != null) {
            memory = lambda.meanMsByMemory().keySet().stream().sorted()
                    .filter(mb -> lambda.p99Ms(mb) <= p99Ms).findFirst()
                    .orElse(MeasuredLambda.FULL_VCPU_MB);
        }
        double meanSeconds = lambda.meanMsByMemory().get(memory) / 1000;
        int concurrency = (int) Math.max(1, Math.ceil(rps * meanSeconds / headroom));
        double requestsPerMonth = rps * 3600 * PriceBook.HOURS_PER_MONTH;
        double monthly = requestsPerMonth / 1e6 * lambda.usdPerMillionByMemory().get(memory);
        return new LambdaOption(memory, lambda.p99Ms(memory), concurrency, monthly);
    }

    /** The plan as the table {@code mnist aws plan} prints. */
    public static String render(Plan plan, PriceBook prices, MeasuredThroughput server) {
        StringBuilder out = new StringBuilder();
        MeasuredThroughput.Point p = plan.point();
        out.append(String.format(java.util.Locale.ROOT, "load: %,.0f req/s%s%n", plan.rps(),
                plan.p99Ms() == null ? "" : String.format(java.util.Locale.ROOT, ", p99 <= %.2f ms", plan.p99Ms())));
        out.append(String.format(java.util.Locale.ROOT, "measured: %,.0f req/s at concurrency %d, p99 %.2f ms, on %d"
                        + " vCPUs (%s, bench/results/http-load-%s.json): %,.0f req/s per vCPU%n",
                p.rps(), p.concurrency(), p.p99Ms(), server.cpus(), "small CNN, PNG", server.date(), server.perVcpu(p)));
        out.append(String.format(java.util.Locale.ROOT, "prices: %s, compiled %s (aws-prices.json; sources inside)%n%n",
                prices.region(), prices.date()));
        out.append("SageMaker real-time (per instance: measured per vCPU x sustained vCPUs x headroom):\n");
        out.append(String.format("  %-14s %6s %12s %6s %12s %12s%n", "type", "vCPUs", "req/s each", "count", "$/hour",
                "$/month"));
        for (InstanceOption o : plan.instances()) {
            out.append(String.format(java.util.Locale.ROOT, "  %-14s %6.1f %,12.0f %6d %12s %12s%s%n", o.type().type(),
                    o.type().sustainedVcpus(), o.perInstanceRps(), o.count(),
                    o.hourlyUsd().map(h -> String.format(java.util.Locale.ROOT, "%.3f", h)).orElse("unknown"),
                    o.monthlyUsd().map(m -> String.format(java.util.Locale.ROOT, "%,.0f", m)).orElse("unknown"),
                    plan.recommended().filter(r -> r == o).isPresent() ? "  <- cheapest with a known price" : ""));
        }
        ServerlessOption s = plan.serverless();
        out.append(String.format(java.util.Locale.ROOT, "%nSageMaker serverless: memory %d MB, max concurrency %d"
                + " (cost: price unknown, see aws-prices.json)%n", s.memoryMb(), s.maxConcurrency()));
        LambdaOption l = plan.lambda();
        out.append(String.format(java.util.Locale.ROOT, "Lambda (x86, cache off): memory %d MB, handler p99 %.1f ms,"
                        + " ~%d concurrent environments, ~$%,.0f/month for requests and duration%n",
                l.memoryMb(), l.p99Ms(), l.concurrency(), l.monthlyUsd()));
        out.append("\nint8 (model-int8.onnx) changes none of these: its weights are dequantised to float32 before each"
                + " layer, so each request computes the same; no int8 throughput was measured.\n");
        return out.toString();
    }
}
