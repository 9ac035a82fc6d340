package org.mnistpipeline.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.inference.Baselines;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.monitor.DriftMonitor;
import org.mnistpipeline.monitor.DriftReport;
import org.mnistpipeline.monitor.Feature;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.registry.ModelPackage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mnist monitor}: has what the server sees drifted from what the model was released on?
 * Reads the server's window summaries, compares them with the package's {@code baseline.json}
 * (PSI per feature) and answers with an exit code a cron job can act on.
 */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Compare recent served predictions with the model's baseline (population stability index per",
                "feature: predicted class, confidence, ink, size, slant) and report drift.",
                "Exit codes: 0 no drift, 7 drift, 8 too few predictions in the window to tell."})
final class MonitorCommand extends MnistSubcommand {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "production",
            description = "Version or alias of the served model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--window", defaultValue = "1h",
            description = "How far back to look: 90s, 30m, 1h, 2d or ISO-8601 (default: ${DEFAULT-VALUE}).")
    String window;

    @Option(names = "--threshold", defaultValue = "0.2",
            description = "PSI above which a feature has drifted (default: ${DEFAULT-VALUE}; <0.1 stable,"
                    + " 0.1-0.25 moderate, >0.25 significant).")
    double threshold;

    @Option(names = "--min-samples", defaultValue = "300",
            description = "Fewer predictions than this give 'insufficient data' (default: ${DEFAULT-VALUE}).")
    long minSamples;

    @Option(names = "--monitor-dir", description = "Where the server writes summaries (default: $MNIST_HOME/monitoring,"
            + " in S3 for an s3:// MNIST_HOME).")
    Path monitorDir;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--retrain", description = "On drift, run `mnist retrain --reason drift` (when installed).")
    boolean retrain;

    @Override
    public Integer call() {
        Context context = root.context;
        Duration span = Durations.parse(window, "--window");
        ModelPackage pkg = context.registry().get(model);
        String version = pkg.manifest().version();
        java.util.Optional<Baseline> stored = Baseline.in(pkg);
        boolean computed = stored.isEmpty();
        Baseline baseline = stored.orElseGet(() -> computeBaseline(context, pkg, version));
        SummaryStore summaries = context.summaries(monitorDir);
        DriftReport report = DriftMonitor.check(summaries, version, baseline, span, Instant.now(), threshold,
                minSamples);
        print(context, report, summaries.location(), computed);
        int code = exitCode(report);
        if (report.drifted() && retrain) {
            int retrained = retrain(context);
            return retrained == ExitCodes.OK ? code : retrained;
        }
        return code;
    }

    static int exitCode(DriftReport report) {
        return switch (report.status()) {
            case NO_DRIFT -> ExitCodes.OK;
            case DRIFT -> ExitCodes.DRIFT;
            case INSUFFICIENT_DATA -> ExitCodes.INSUFFICIENT_DATA;
        };
    }

    /** Packages released before baselines existed: the same computation, done now and not stored. */
    private static Baseline computeBaseline(Context context, ModelPackage pkg, String version) {
        if (!pkg.files().contains(org.mnistpipeline.release.ReleaseService.ONNX_FILE)) {
            throw new IllegalArgumentException(version + " has neither " + Baseline.FILE + " nor "
                    + org.mnistpipeline.release.ReleaseService.ONNX_FILE + "; run `mnist models export " + version + "` first");
        }
        LabeledImages test = context.dataset(null).test();
        context.err.println(version + " has no " + Baseline.FILE + "; computing one from the MNIST test set ("
                + test.size() + " images)");
        try {
            return Baselines.compute(Files.readAllBytes(pkg.file(org.mnistpipeline.release.ReleaseService.ONNX_FILE)), version, test,
                    "MNIST test set (" + test.size() + " images), computed by mnist monitor");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + pkg.file(org.mnistpipeline.release.ReleaseService.ONNX_FILE), e);
        }
    }

    /**
     * The retraining hook: {@code mnist retrain --reason drift} when the CLI has that command,
     * otherwise a note that nothing was triggered (drift is still reported by the exit code).
     */
    private int retrain(Context context) {
        CommandLine command = spec.root().subcommands().get("retrain");
        if (command == null) {
            context.err.println("drift detected, but no retraining pipeline is installed (no `mnist retrain`);"
                    + " nothing was triggered");
            return ExitCodes.OK;
        }
        context.err.println("drift detected: running `mnist retrain --reason drift`");
        return command.execute("--reason", "drift");
    }

    private void print(Context context, DriftReport report, String summaries, boolean computedBaseline) {
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("report", report);
            out.put("verdict", report.verdict());
            out.put("monitor_dir", summaries);
            out.put("baseline_computed", computedBaseline);
            context.out.println(Json.pretty(out));
            return;
        }
        context.out.printf(Locale.ROOT, "model %s, window %s .. %s: %d predictions in %d summaries%s%n",
                report.modelVersion(), report.windowStart(), report.windowEnd(), report.samples(),
                report.summaryFiles(), report.skippedFiles() > 0 ? " (" + report.skippedFiles() + " unreadable, skipped)"
                        : "");
        context.out.printf(Locale.ROOT, "baseline: %s, %d predictions%n", report.baselineSource(),
                report.baselineSamples());
        if (!report.psi().isEmpty()) {
            context.out.printf(Locale.ROOT, "  %-15s %8s%n", "feature", "PSI");
            for (Feature feature : Feature.values()) {
                double psi = report.psi().get(feature.key());
                context.out.printf(Locale.ROOT, "  %-15s %8.3f%s%n", feature.key(), psi,
                        psi > report.threshold() ? "  > " + report.threshold() : "");
            }
        }
        context.out.println(report.verdict());
    }
}
