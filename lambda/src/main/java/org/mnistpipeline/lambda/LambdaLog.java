package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * The function's stdout, which Lambda ships to CloudWatch Logs: one JSON line per event, never a
 * payload. Metrics are written in CloudWatch Embedded Metric Format, so CloudWatch extracts them
 * from the log line itself: no PutMetricData call, no agent, no added latency.
 */
final class LambdaLog {
    static final String NAMESPACE = "MnistPipeline";

    /** What one invocation did, for its metrics line. */
    record Invocation(String requestId, String event, String route, int status, String modelVersion, int images,
            int cacheHits, double latencyMs, boolean coldStart, String environmentId) {}

    private final PrintStream out;
    private final Clock clock;

    LambdaLog(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    /**
     * The EMF line: metrics {@code LatencyMs}, {@code CacheHit} (images answered without running
     * the model, so hit rate = sum(CacheHit) / sum(Images)) and {@code Images}, by
     * {@code ModelVersion}; the rest are searchable properties, not metrics (no cardinality cost).
     */
    void metrics(Invocation inv) {
        ObjectNode line = JsonTree.NODES.objectNode();
        ObjectNode aws = line.putObject("_aws");
        aws.put("Timestamp", clock.millis());
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", NAMESPACE);
        directive.putArray("Dimensions").addArray().add("ModelVersion");
        ArrayNode metrics = directive.putArray("Metrics");
        metrics.addObject().put("Name", "LatencyMs").put("Unit", "Milliseconds");
        metrics.addObject().put("Name", "CacheHit").put("Unit", "Count");
        metrics.addObject().put("Name", "Images").put("Unit", "Count");
        line.put("ModelVersion", inv.modelVersion() == null ? "none" : inv.modelVersion());
        line.put("LatencyMs", Math.round(inv.latencyMs() * 1000) / 1000.0);
        line.put("CacheHit", inv.cacheHits());
        line.put("Images", inv.images());
        line.put("RequestId", inv.requestId());
        line.put("Event", inv.event());
        line.put("Route", inv.route());
        line.put("Status", inv.status());
        line.put("ColdStart", inv.coldStart());
        line.put("EnvironmentId", inv.environmentId());
        write(line);
    }

    /** A failure that is ours (5xx): the stack trace goes to the log, never to the client. */
    void error(String requestId, String message, Throwable error) {
        ObjectNode line = line("ERROR", message).put("requestId", requestId);
        if (error != null) {
            StringWriter trace = new StringWriter();
            error.printStackTrace(new PrintWriter(trace));
            line.put("error", error.toString()).put("stackTrace", trace.toString());
        }
        write(line);
    }

    /** An informational line (start-up, priming, restore). */
    void info(String message, String key, Object value) {
        ObjectNode line = line("INFO", message);
        switch (value) {
            case null -> line.putNull(key);
            case Integer i -> line.put(key, i);
            case Long l -> line.put(key, l);
            case Number n -> line.put(key, n.doubleValue());
            case Boolean b -> line.put(key, b);
            default -> line.put(key, value.toString());
        }
        write(line);
    }

    private ObjectNode line(String level, String message) {
        return JsonTree.NODES.objectNode().put("timestamp", clock.instant().toString()).put("level", level)
                .put("message", message);
    }

    private void write(ObjectNode line) {
        // Compact (CloudWatch takes each line as one event), without an ObjectMapper (JsonTree says why).
        String text = new String(JsonTree.write(line), StandardCharsets.UTF_8);
        synchronized (out) {
            out.println(text); // one println per line: CloudWatch splits events on newlines
        }
    }
}
