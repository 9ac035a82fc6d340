package org.mnistpipeline.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The model server's measured throughput, read from the benchmark's own result file
 * ({@code bench/results/http-load-2026-12-02.json}, packaged from where it is committed), and what the scaling
 * policy and {@code mnist aws plan} derive from it.
 *
 * <p>How the per-instance figure is derived: the benchmark ran {@code mnist serve} (small CNN, one 28×28 PNG per
 * request, micro-batching on as by default) under wrk on the same 2 vCPUs, warm, 3 rounds of 10 s per concurrency;
 * the file's {@code median} rows are the median over rounds. The peak is the highest median req/s whose p99 meets
 * the latency bound (none: the highest overall, 9,109 req/s at concurrency 64). Divided by the machine's vCPUs it
 * gives req/s per vCPU; wrk took part of the same two vCPUs, so this understates what the server alone does.
 * Multiplied by an instance's sustained vCPUs it is that instance's peak; SageMaker's recipe for the
 * {@code SageMakerVariantInvocationsPerInstance} target is then {@code peak × safety factor × 60} (invocations per
 * minute, the metric's period), with 0.5 as its recommended starting safety factor: that is {@link #targetPerMinute}.
 *
 * <p>What the figure is not: the production recipe's strong CNN (0.3 M parameters against the small one's 29 k)
 * was not load-tested over HTTP, so with it each request costs more CPU and the target is optimistic; and
 * SageMaker's front end adds latency outside the container, which this machine cannot measure.
 */
public final class MeasuredThroughput {
    static final String RESOURCE = "bench/http-load-2026-12-02.json";

    /**
     * One measured operating point (median of rounds).
     *
     * @param concurrency open connections wrk kept busy
     * @param rps         requests per second
     * @param p99Ms       99th-percentile latency
     */
    public record Point(int concurrency, double rps, double p50Ms, double p99Ms) {}

    private final String date;
    private final int cpus;
    private final String mode;
    private final List<Point> points;

    MeasuredThroughput(String date, int cpus, String mode, List<Point> points) {
        if (cpus < 1 || points.isEmpty()) {
            throw new IllegalArgumentException("a throughput measurement needs its CPU count and at least one point");
        }
        this.date = date;
        this.cpus = cpus;
        this.mode = mode;
        this.points = List.copyOf(points);
    }

    /** The committed HTTP benchmark, batching mode (the server's default). */
    public static MeasuredThroughput load() {
        try (InputStream in = MeasuredThroughput.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("benchmark result " + RESOURCE + " is not on the classpath"
                        + " (infra/pom.xml packages it from bench/results)");
            }
            return parse(new ObjectMapper().readTree(in), "batching");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    static MeasuredThroughput parse(JsonNode root, String mode) {
        List<Point> points = new ArrayList<>();
        for (JsonNode row : root.path("median")) {
            if (mode.equals(row.path("mode").asText())) {
                points.add(new Point(row.path("concurrency").asInt(), row.path("rps").asDouble(),
                        row.path("p50_ms").asDouble(), row.path("p99_ms").asDouble()));
            }
        }
        points.sort(Comparator.comparingInt(Point::concurrency));
        return new MeasuredThroughput(root.path("date").asText(), root.path("cpus").asInt(), mode, points);
    }

    public String date() {
        return date;
    }

    public int cpus() {
        return cpus;
    }

    public List<Point> points() {
        return points;
    }

    /** The highest-throughput point overall. */
    public Point peak() {
        return points.stream().max(Comparator.comparingDouble(Point::rps)).orElseThrow();
    }

    /** The highest-throughput point whose p99 is within {@code p99Ms}, if any. */
    public Optional<Point> peakWithin(double p99Ms) {
        return points.stream().filter(p -> p.p99Ms() <= p99Ms).max(Comparator.comparingDouble(Point::rps));
    }

    /** Requests per second per vCPU at {@code point}. */
    public double perVcpu(Point point) {
        return point.rps() / cpus;
    }

    /** Peak requests per second of one instance of {@code type} at {@code point}: per vCPU × sustained vCPUs. */
    public double instancePeakRps(InstanceTypes.Spec type, Point point) {
        return perVcpu(point) * type.sustainedVcpus();
    }

    /**
     * The target-tracking value for {@code SageMakerVariantInvocationsPerInstance}: the instance's peak at the
     * overall peak point, times {@code headroom}, times 60 (the metric counts invocations per minute), rounded down.
     */
    public long targetPerMinute(InstanceTypes.Spec type, double headroom) {
        // The epsilon keeps a product that is whole on paper (9,109.1 / 2 x 2 x 0.5 x 60) from flooring to one less.
        return (long) Math.floor(instancePeakRps(type, peak()) * headroom * 60 + 1e-6);
    }

    /** One line saying where a target came from, for the template's description and the plan. */
    public String derivation(InstanceTypes.Spec type, double headroom) {
        Point p = peak();
        return String.format(Locale.ROOT, "%,.0f req/s at c=%d on %d vCPUs (%s, %s) = %,.0f req/s/vCPU x %.1f sustained"
                        + " vCPUs (%s) x headroom %.2f x 60 = %,d invocations/min/instance",
                p.rps(), p.concurrency(), cpus, RESOURCE.substring(RESOURCE.indexOf('/') + 1), mode, perVcpu(p),
                type.sustainedVcpus(), type.type(), headroom, targetPerMinute(type, headroom));
    }
}
