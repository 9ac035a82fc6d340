package org.mnistpipeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.monitor.DriftMonitor;
import org.mnistpipeline.pipeline.DriftCheck;
import org.mnistpipeline.pipeline.PipelineRunner;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.PipelineHome;
import org.mnistpipeline.pipeline.PipelineStores;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.RunStore.StepRun;
import org.mnistpipeline.pipeline.StepContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code mnist retrain}: the retraining pipeline, once, on a schedule, or one step at a time. */
@Command(name = "retrain", mixinStandardHelpOptions = true,
        description = {"Ingest new labelled batches, decide, retrain (incremental by default), gate the challenger"
                + " against the champion, then promote or reject, and notify. Resumes a run that was killed;"
                + " refuses to run twice at once.",
                "Exit codes: 0 promoted or nothing to do, 6 challenger rejected, 9 another run holds the lock,"
                        + " others as for every command."},
        subcommands = {RetrainCommand.Runs.class, RetrainCommand.Show.class, RetrainCommand.RunStep.class,
                RetrainCommand.Definition.class})
final class RetrainCommand extends MnistSubcommand {
    @Option(names = "--source", description = "A batch directory to ingest (IDX pair, per-label folders, or images +"
            + " labels.csv); repeatable.")
    List<Path> sources = new ArrayList<>();

    @Option(names = "--inbox", description = "Directory whose subdirectories are batches (default: $MNIST_HOME/inbox).")
    Path inbox;

    @Option(names = "--force", description = "Retrain even without enough new data.")
    boolean force;

    @Option(names = "--full", description = "Retrain from scratch on all data instead of fine-tuning the champion.")
    boolean full;

    @Option(names = "--no-fallback", description = "Do not try a full retrain when the incremental challenger fails.")
    boolean noFallback;

    @Option(names = "--min-new", description = "New images needed before retraining (default 1000).")
    Integer minNew;

    @Option(names = "--replay-ratio", description = "Earlier images replayed per new image (default 1.5).")
    Double replayRatio;

    @Option(names = "--epochs", description = "Fine-tuning epochs (default 3).")
    Integer epochs;

    @Option(names = "--lr-scale", description = "Fine-tuning learning rate as a share of the champion's (default 0.7).")
    Double lrScale;

    @Option(names = "--holdout", description = "Share of each new batch held back for the gate (default 0.2).")
    Double holdout;

    @Option(names = "--tolerance", description = "Points of original-test accuracy the challenger may lose (default 0.1).")
    Double tolerance;

    @Option(names = "--reason", description = "Why this run starts: manual, scheduled, drift (default manual).")
    String reason;

    @Option(names = "--alias", description = "The champion's alias (default production).")
    String alias;

    @Option(names = "--seed", description = "Seed for replay sampling, holdouts and training (default 1).")
    Long seed;

    @Option(names = "--resume", paramLabel = "RUN", description = "Run a failed run again from the step that failed.")
    String resume;

    @Option(names = "--every", paramLabel = "DURATION", description = "Keep running on this interval: 30m, 6h, 1d"
            + " (or ISO-8601 such as PT6H).")
    String every;

    @Option(names = "--max-runs", hidden = true, description = "Stop a scheduled loop after this many runs.")
    int maxRuns;

    @Option(names = "--notify-url", description = "Also POST each run's notification as JSON to this URL"
            + " (default: $MNIST_NOTIFY_URL).")
    URI notifyUrl;

    @Option(names = "--drift-window", paramLabel = "DURATION", description = "Served traffic the decision looks at for"
            + " drift (default 1h; summaries from $MNIST_HOME/monitoring).")
    String driftWindow = "1h";

    @Option(names = "--json", description = "Print the run record as JSON.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        Context context = root.context;
        if (every == null) {
            return once(context);
        }
        Duration interval = Durations.parse(every, "--every");
        int code = ExitCodes.OK;
        for (int n = 1; maxRuns == 0 || n <= maxRuns; n++) {
            Instant next = Instant.now().plus(interval);
            try {
                code = once(context);
            } catch (RuntimeException e) {
                // A failed run must not end the schedule; the run record keeps the details.
                context.err.println("mnist: retrain: " + e.getMessage());
                code = ExitCodes.of(e);
            }
            if (maxRuns > 0 && n == maxRuns) {
                break;
            }
            context.err.println("next run at " + next);
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), next).toMillis()));
        }
        return code;
    }

    private int once(Context context) {
        PipelineRunner runner = runner(context, notifyUrl, context.pipelineStores().drift(
                Durations.parse(driftWindow, "--drift-window"), DriftMonitor.DEFAULT_THRESHOLD));
        RunRecord run;
        try {
            run = resume != null ? runner.resume(resume) : runner.run(request(context));
        } catch (PipelineRunner.StepFailedException e) {
            // The exit code is the mapper's (the failed step's kind); only the way back is said here.
            context.err.println("the champion was not changed; details: " + runner.runs().location(e.run().id())
                    + "; retry with: mnist retrain --resume " + e.run().id());
            throw e;
        }
        print(context, run, json);
        return "rejected".equals(run.outcome()) ? ExitCodes.GATE : ExitCodes.OK;
    }

    private RetrainRequest request(Context context) {
        Path box = inbox != null ? inbox : context.locations.home().resolve("inbox");
        // With MNIST_HOME in S3 the inbox is there too (batches marked ready with an empty _READY object).
        String inboxLocation = inbox == null && context.home().shared()
                ? context.locations.sharedHome().resolve("inbox").toString()
                : Files.isDirectory(box) ? box.toAbsolutePath().toString() : null;
        return RetrainRequest.builder()
                .sources(sources.stream().map(p -> p.toAbsolutePath().toString()).toList())
                .inbox(inboxLocation)
                .reason(reason != null ? reason : every != null ? "scheduled" : "manual")
                .force(force)
                .mode(full ? Mode.FULL : null)
                .fallbackToFull(noFallback ? Boolean.FALSE : null)
                .minNewImages(minNew)
                .replayRatio(replayRatio)
                .incrementalEpochs(epochs)
                .learningRateScale(lrScale)
                .holdoutFraction(holdout)
                .tolerancePoints(tolerance)
                .alias(alias)
                .seed(seed)
                .build();
    }

    /** The pipeline of MNIST_HOME (a directory or an s3:// prefix), training on this machine. */
    static PipelineRunner runner(Context context, URI notifyUrl, DriftCheck drift) {
        PipelineStores stores = context.pipelineStores();
        PipelineHome home = stores.pipeline();
        URI hook = notifyUrl != null ? notifyUrl
                : context.env.get("MNIST_NOTIFY_URL") != null ? URI.create(context.env.get("MNIST_NOTIFY_URL")) : null;
        return new PipelineRunner(home, context.registry(), stores.batches(), context.pipelineTraining(),
                home.notifier(hook), drift, context.err::println);
    }

    static void print(Context context, RunRecord run, boolean json) {
        if (json) {
            context.out.println(Json.pretty(run));
            return;
        }
        context.out.printf(Locale.ROOT, "run %s: %s%s%n", run.id(), run.status(),
                run.outcome() == null ? "" : " (" + run.outcome() + ")");
        for (StepRun step : run.steps()) {
            context.out.printf(Locale.ROOT, "  %-9s %-9s %7.1f s%s%n", step.name(), step.status(), step.seconds(),
                    step.error() != null ? "  " + step.error() : "");
        }
        JsonNode notify = run.state().path("notify");
        if (!notify.isMissingNode()) {
            context.out.println(notify.path("text").asText());
        }
    }

    /** Base of the subcommands: picocli injects this command into {@code parent}. */
    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        RetrainCommand parent;
    }

    @Command(name = "runs", mixinStandardHelpOptions = true, description = "List retraining runs, oldest first.")
    static final class Runs extends Subcommand {
        @Override
        public Integer call() {
            Context context = parent.root.context;
            for (RunRecord run : context.pipelineStores().pipeline().runs().list()) {
                context.out.printf(Locale.ROOT, "%-24s %-9s %-9s %s%n", run.id(), run.status(),
                        run.outcome() == null ? "-" : run.outcome(),
                        run.state().path("notify").path("text").asText(run.next() == null ? "" : "next: " + run.next()));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print one run's record as JSON.")
    static final class Show extends Subcommand {
        @Parameters(paramLabel = "RUN")
        String runId;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            RunRecord run = context.pipelineStores().pipeline().runs()
                    .find(runId).orElseThrow(() -> new org.mnistpipeline.registry.RegistryException.NotFound(
                            "no run " + runId));
            context.out.println(Json.pretty(run));
            return 0;
        }
    }

    /**
     * One step against a state document, printing its output: the contract a Step Functions task
     * (or any other orchestrator) calls, one process per step. On failure it prints
     * {@code {"errorType": ..., "errorMessage": ...}} (a Lambda function's error shape, with the
     * graph's error names) and exits as any command does for that error.
     */
    @Command(name = "step", mixinStandardHelpOptions = true,
            description = {"Run one pipeline step on a state JSON file and print the step's output JSON.",
                    "On failure it prints {\"errorType\": ..., \"errorMessage\": ...} instead, and exits non-zero."})
    static final class RunStep extends Subcommand {
        @Parameters(paramLabel = "STEP", description = "ingest, validate, decide, train, evaluate, gate, register,"
                + " promote, reject or notify; or a deployment's step: stage-training, collect-training,"
                + " package-model, rollback")
        String step;

        @Option(names = "--state", required = true, description = "The pipeline state: {\"request\": {...}, ...}.")
        Path stateFile;

        @Option(names = "--run-id", required = true, description = "The run this step belongs to (names its work"
                + " directory).")
        String runId;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            try {
                ObjectNode state = (ObjectNode) Json.read(stateFile, JsonNode.class);
                context.out.println(Json.pretty(runStep(context, step, state, runId)));
                return 0;
            } catch (RuntimeException e) {
                java.util.Map<String, String> error = new java.util.LinkedHashMap<>();
                error.put("errorType", org.mnistpipeline.pipeline.graph.StepErrors.name(e));
                error.put("errorMessage", String.valueOf(e.getMessage()));
                context.out.println(Json.compact(error));
                throw e;
            }
        }
    }

    /**
     * The task contract: step {@code step} of run {@code runId} on {@code state}, against MNIST_HOME, returning the
     * step's output. {@code mnist retrain step} and the step-runner function ({@link StepRunnerHandler}) both run
     * steps through this.
     */
    static JsonNode runStep(Context context, String step, ObjectNode state, String runId) {
        StepContext stepContext = runner(context, null, context.pipelineStores().drift(
                Duration.ofHours(1), DriftMonitor.DEFAULT_THRESHOLD)).contextFor(runId);
        return PipelineRunner.runStep(step, state, stepContext);
    }

    /**
     * The retraining graph as an AWS Step Functions definition (Amazon States Language), every Task
     * calling one resource with {@code {"step", "runId", "state"}}: derived from the same graph the
     * local runner interprets.
     */
    @Command(name = "definition", mixinStandardHelpOptions = true,
            description = "Print the Step Functions definition (ASL JSON) derived from the pipeline's graph.")
    static final class Definition extends Subcommand {
        @Option(names = "--resource", paramLabel = "ARN", defaultValue = "arn:aws:lambda:us-east-1:123456789012:function:mnist-step",
                description = "The resource every Task calls (default: ${DEFAULT-VALUE}, a placeholder).")
        String resource;

        @Override
        public Integer call() {
            parent.root.context.out.println(Json.pretty(
                    org.mnistpipeline.pipeline.StateMachineDefinition.asl(resource)));
            return 0;
        }
    }
}
