package org.mnistpipeline.server;

import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters, written in the Prometheus text format 0.0.4. Hand-rolled (a page of
 * code) rather than a client library: the server has no dependencies beyond the JDK and slf4j.
 * Label values are bounded: unknown paths are counted under one label, so a scanner cannot grow
 * the series without limit.
 */
final class Metrics {
    /** Request latency buckets in seconds, 0.5 ms to 1 s. */
    static final double[] DURATION_BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
    /** Images per forward pass. */
    static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> durations = new ConcurrentHashMap<>();
    private final Histogram batchSizes = new Histogram(BATCH_BUCKETS);
    private final LongAdder images = new LongAdder();
    private final LongAdder reloads = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder monitorSamples = new LongAdder();
    private final LongAdder monitorWindows = new LongAdder();
    private final LongAdder monitorWriteFailures = new LongAdder();

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    /** One answered request; {@code path} must already be one of a bounded set. */
    void requestFinished(String path, int status, long nanos) {
        inFlight.decrementAndGet();
        requests.computeIfAbsent(labels("path", path, "status", Integer.toString(status)), k -> new LongAdder())
                .increment();
        durations.computeIfAbsent(labels("path", path), k -> new Histogram(DURATION_BUCKETS)).observe(nanos / 1e9);
    }

    /** One forward pass of {@code size} images. */
    void batch(int size) {
        batchSizes.observe(size);
        images.add(size);
    }

    void modelReloaded() {
        reloads.increment();
    }

    /** Predictions counted into drift-monitoring summaries. */
    void monitorSampled(int count) {
        monitorSamples.add(count);
    }

    void monitorWindowWritten() {
        monitorWindows.increment();
    }

    void monitorWriteFailed() {
        monitorWriteFailures.increment();
    }

    long inFlight() {
        return inFlight.get();
    }

    /** The exposition text; {@code modelVersion} is null while no model is loaded. */
    String scrape(String modelVersion) {
        StringBuilder out = new StringBuilder(4096);
        header(out, "mnist_requests_total", "counter", "HTTP requests answered, by path and status.");
        new TreeMap<>(requests).forEach((labels, count) ->
                out.append("mnist_requests_total{").append(labels).append("} ").append(count.sum()).append('\n'));
        header(out, "mnist_request_duration_seconds", "histogram", "Time from request to response, by path.");
        new TreeMap<>(durations).forEach((labels, histogram) ->
                histogram.write(out, "mnist_request_duration_seconds", labels));
        header(out, "mnist_batch_size", "histogram", "Images per forward pass of the model.");
        batchSizes.write(out, "mnist_batch_size", "");
        header(out, "mnist_images_total", "counter", "Images classified.");
        out.append("mnist_images_total ").append(images.sum()).append('\n');
        header(out, "mnist_requests_in_flight", "gauge", "Requests being answered right now.");
        out.append("mnist_requests_in_flight ").append(inFlight.get()).append('\n');
        header(out, "mnist_model_reloads_total", "counter", "Times a new model replaced the served one.");
        out.append("mnist_model_reloads_total ").append(reloads.sum()).append('\n');
        header(out, "mnist_monitor_samples_total", "counter", "Predictions counted into drift-monitoring summaries.");
        out.append("mnist_monitor_samples_total ").append(monitorSamples.sum()).append('\n');
        header(out, "mnist_monitor_windows_written_total", "counter", "Drift-monitoring summary files written.");
        out.append("mnist_monitor_windows_written_total ").append(monitorWindows.sum()).append('\n');
        header(out, "mnist_monitor_write_failures_total", "counter",
                "Drift-monitoring summaries that could not be written (see the log).");
        out.append("mnist_monitor_write_failures_total ").append(monitorWriteFailures.sum()).append('\n');
        header(out, "mnist_model_info", "gauge", "The model being served; absent until one is loaded.");
        if (modelVersion != null) {
            out.append("mnist_model_info{").append(labels("version", modelVersion)).append("} 1\n");
        }
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** {@code k1="v1",k2="v2"} with values escaped as the format requires. */
    static String labels(String... keysAndValues) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (i > 0) {
                out.append(',');
            }
            out.append(keysAndValues[i]).append("=\"").append(escape(keysAndValues[i + 1])).append('"');
        }
        return out.toString();
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A Prometheus histogram: per-bucket counts, cumulated when written. */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final DoubleAdder sum = new DoubleAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new LongAdder[bounds.length + 1];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        void observe(double value) {
            int i = 0;
            while (i < bounds.length && value > bounds[i]) {
                i++;
            }
            counts[i].increment();
            sum.add(value);
        }

        void write(StringBuilder out, String name, String labels) {
            String prefix = labels.isEmpty() ? "" : labels + ",";
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += counts[i].sum();
                out.append(name).append("_bucket{").append(prefix).append("le=\"")
                        .append(BigDecimal.valueOf(bounds[i]).stripTrailingZeros().toPlainString()).append("\"} ")
                        .append(cumulative).append('\n');
            }
            cumulative += counts[bounds.length].sum();
            out.append(name).append("_bucket{").append(prefix).append("le=\"+Inf\"} ").append(cumulative).append('\n');
            String braces = labels.isEmpty() ? "" : "{" + labels + "}";
            out.append(name).append("_sum").append(braces).append(' ').append(sum.sum()).append('\n');
            out.append(name).append("_count").append(braces).append(' ').append(cumulative).append('\n');
        }
    }
}
