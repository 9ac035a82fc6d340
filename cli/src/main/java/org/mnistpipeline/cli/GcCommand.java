package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mnistpipeline.io.Cleanup;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.monitor.LocalSummaryStore;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.pipeline.WorkRetention;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mnist gc}: retention for what grows without bound under {@code MNIST_HOME}: the server's
 * drift-monitoring summaries (about 1,440 files per model and day) and the retraining pipeline's
 * work directories (a rejected challenger's weights, staged packages). Says what it would delete
 * and how much; deletes only with {@code --delete}. Never touches the registry, the data store,
 * the newest day of summaries of a model an alias points at, or the work of a run that is in
 * progress or can be resumed.
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Delete old drift-monitoring summaries and finished retraining runs' work directories.",
                "Without --delete it only says what it would delete (a dry run). Never touches models, data",
                "batches, the newest day of summaries of an aliased model, or a running or resumable run's work."})
final class GcCommand extends MnistSubcommand {
    @Option(names = "--delete", description = "Delete what is listed (default: only list it).")
    boolean delete;

    @Option(names = "--keep-monitoring", defaultValue = "${env:MNIST_KEEP_MONITORING:-14d}",
            description = "Keep summaries whose window started within this (default: ${DEFAULT-VALUE};"
                    + " env MNIST_KEEP_MONITORING; at least 1d).")
    String keepMonitoring;

    @Option(names = "--keep-work", defaultValue = "${env:MNIST_KEEP_WORK:-7d}",
            description = "Keep work directories of runs finished within this (default: ${DEFAULT-VALUE};"
                    + " env MNIST_KEEP_WORK).")
    String keepWork;

    @Option(names = "--monitor-dir", description = "Where the server writes summaries (default: $MNIST_HOME/monitoring).")
    Path monitorDir;

    @Option(names = "--json", description = "Print what was (or would be) deleted as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Context context = root.context;
        Duration monitoring = Durations.parse(keepMonitoring, "--keep-monitoring");
        if (monitoring.compareTo(SummaryStore.MAX_WINDOW) < 0) {
            throw new IllegalArgumentException("--keep-monitoring must be at least 1d: a summary window may be a day"
                    + " long, and drift checks read whole windows; got '" + keepMonitoring + "'");
        }
        Duration work = Durations.parse(keepWork, "--keep-work");
        if (context.home().shared()) {
            // Objects expire by the bucket's lifecycle rules, which need no process running; gc is for disks.
            throw new org.mnistpipeline.MnistException(org.mnistpipeline.MnistException.Kind.BAD_INPUT,
                    "mnist gc cleans a local MNIST_HOME; for " + context.locations.sharedHome()
                            + " use S3 lifecycle rules on its monitoring/ and pipeline/work/ prefixes (docs/s3.md)");
        }
        Instant now = Instant.now();
        Set<String> aliased = new HashSet<>(context.registry().aliases().values());
        LocalSummaryStore summaries = new LocalSummaryStore(monitorDir != null ? monitorDir : context.locations.monitoring());
        WorkRetention runs = new WorkRetention(context.locations.pipeline());

        List<Cleanup.Item> expiredSummaries = summaries.expired(now.minus(monitoring), aliased);
        WorkRetention.Plan plan = runs.plan(now.minus(work));
        List<Cleanup.Item> workDirs = plan.delete();
        if (delete) {
            // Work directories first, under the pipeline lock: while a run is in progress this is refused
            // (exit 9) before anything at all is deleted.
            workDirs = runs.delete(now.minus(work));
            expiredSummaries.forEach(Cleanup::delete);
            summaries.removeEmptyVersionDirectories();
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("deleted", delete);
            out.put("monitoringSummaries", paths(expiredSummaries));
            out.put("monitoringBytes", Cleanup.bytes(expiredSummaries));
            out.put("workDirectories", paths(workDirs));
            out.put("workBytes", Cleanup.bytes(workDirs));
            out.put("kept", plan.kept());
            context.out.println(Json.pretty(out));
            return ExitCodes.OK;
        }
        String verb = delete ? "deleted" : "would delete";
        context.out.printf(Locale.ROOT, "%s %,d monitoring summaries (%s) whose window started more than %s ago, in %s%n",
                verb, expiredSummaries.size(), size(Cleanup.bytes(expiredSummaries)), keepMonitoring, summaries.dir());
        context.out.printf(Locale.ROOT, "%s %,d retraining work directories (%s) of runs finished more than %s ago%n",
                verb, workDirs.size(), size(Cleanup.bytes(workDirs)), keepWork);
        for (Cleanup.Item item : workDirs) {
            context.out.printf(Locale.ROOT, "  %s (%s): %s%n", item.path(), size(item.bytes()), item.reason());
        }
        for (String kept : plan.kept()) {
            context.out.println("  kept " + kept);
        }
        if (!delete && !(expiredSummaries.isEmpty() && workDirs.isEmpty())) {
            context.out.println("run `mnist gc --delete` to delete them");
        }
        return ExitCodes.OK;
    }

    private static List<String> paths(List<Cleanup.Item> items) {
        List<String> out = new ArrayList<>();
        items.forEach(i -> out.add(i.path().toString()));
        return out;
    }

    private static String size(long bytes) {
        return bytes < 1_000_000 ? String.format(Locale.ROOT, "%.1f kB", bytes / 1e3)
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
