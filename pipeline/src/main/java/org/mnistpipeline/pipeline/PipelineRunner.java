package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.RunStore.StepRun;
import org.mnistpipeline.pipeline.graph.Graph;
import org.mnistpipeline.pipeline.graph.State;
import org.mnistpipeline.pipeline.graph.StepErrors;
import org.mnistpipeline.pipeline.steps.CollectTrainingStep;
import org.mnistpipeline.pipeline.steps.DecideStep;
import org.mnistpipeline.pipeline.steps.EvaluateStep;
import org.mnistpipeline.pipeline.steps.GateStep;
import org.mnistpipeline.pipeline.steps.IngestStep;
import org.mnistpipeline.pipeline.steps.NotifyStep;
import org.mnistpipeline.pipeline.steps.PackageModelStep;
import org.mnistpipeline.pipeline.steps.PromoteStep;
import org.mnistpipeline.pipeline.steps.RegisterStep;
import org.mnistpipeline.pipeline.steps.RejectStep;
import org.mnistpipeline.pipeline.steps.RollbackStep;
import org.mnistpipeline.pipeline.steps.StageTrainingStep;
import org.mnistpipeline.pipeline.steps.TrainStep;
import org.mnistpipeline.pipeline.steps.ValidateStep;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.training.Training;

/**
 * Runs the pipeline in this process by interpreting {@link RetrainGraph}, the graph the Step
 * Functions definition is derived from, with the same semantics: a state document that starts as
 * {@code {"request": ...}}, each Task state running its step on the whole document and storing
 * the output under the step's name, Choice rules and Pass states evaluated on the document, the
 * graph's retriers and catchers applied to a step's error. The run record is saved after every
 * step, so a killed run resumes at the step it was in.
 */
public final class PipelineRunner {
    /** Every step, by name: what the graph's Task states run. */
    public static final Map<String, Step<?, ?>> STEPS = steps(new IngestStep(), new ValidateStep(), new DecideStep(),
            new TrainStep(), new EvaluateStep(), new GateStep(), new RegisterStep(), new PromoteStep(),
            new RejectStep(), new NotifyStep());
    /**
     * Steps no graph state runs, for deployments that split or follow a graph step: an AWS binding
     * stages a SageMaker training job and collects its result around {@code train}, packages the
     * promoted model for an endpoint and rolls the alias back when its rollout fails. Run through
     * the same task contract ({@link #runStep}).
     */
    public static final Map<String, Step<?, ?>> DEPLOYMENT_STEPS = steps(new StageTrainingStep(),
            new CollectTrainingStep(), new PackageModelStep(), new RollbackStep());
    private static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final PipelineHome home;
    private final ModelRegistry registry;
    private final BatchStore store;
    private final Training training;
    private final Notifier notifier;
    private final DriftCheck drift;
    private final Consumer<String> log;
    private final RunStore runs;
    private final Graph graph = RetrainGraph.definition();

    /** @param home the pipeline's directory: {@code runs/}, {@code work/}, the lock and the notifications */
    public PipelineRunner(Path home, ModelRegistry registry, BatchStore store, Training training, Notifier notifier,
            Consumer<String> log) {
        this(home, registry, store, training, notifier, DriftCheck.NONE, log);
    }

    public PipelineRunner(Path home, ModelRegistry registry, BatchStore store, Training training, Notifier notifier,
            DriftCheck drift, Consumer<String> log) {
        this(PipelineHome.local(home), registry, store, training, notifier, drift, log);
    }

    /** @param home where runs, the lock and the steps' hand-overs live: a directory or an object prefix */
    public PipelineRunner(PipelineHome home, ModelRegistry registry, BatchStore store, Training training,
            Notifier notifier, DriftCheck drift, Consumer<String> log) {
        this.drift = drift;
        this.home = home;
        this.registry = registry;
        this.store = store;
        this.training = training;
        this.notifier = notifier;
        this.log = log;
        this.runs = home.runs();
    }

    public RunStore runs() {
        return runs;
    }

    /** A step failed; the run record says which and why, and the champion was not touched. */
    public static final class StepFailedException extends MnistException {
        private final transient RunRecord run;

        StepFailedException(RunRecord run, String step, RuntimeException cause) {
            // The step's own kind, so the CLI exits with the code of what failed (3 data, 5 model, ...).
            super(cause instanceof MnistException m ? m.kind()
                    : cause instanceof IllegalArgumentException ? Kind.BAD_INPUT : Kind.MODEL,
                    "run " + run.id() + ": step " + step + " failed: " + cause.getMessage(), cause);
            this.run = run;
        }

        public RunRecord run() {
            return run;
        }
    }

    /**
     * Runs the pipeline once: resumes a run that was killed, or starts one for {@code request}.
     * Refused with {@link PipelineLock.BusyException} while another run is in progress.
     */
    public RunRecord run(RetrainRequest request) {
        try (PipelineLock lock = home.lock()) {
            Optional<RunRecord> interrupted = runs.list().reversed().stream().filter(r -> !r.finished()).findFirst();
            if (interrupted.isPresent()) {
                log.accept("resuming run " + interrupted.get().id() + " at step " + interrupted.get().next()
                        + " (it was interrupted)");
                return execute(interrupted.get(), lock);
            }
            return execute(start(request), lock);
        }
    }

    /** Runs a failed or interrupted run again from the step where it stopped. */
    public RunRecord resume(String runId) {
        try (PipelineLock lock = home.lock()) {
            RunRecord run = runs.find(runId).orElseThrow(() -> new MnistException("no run " + runId));
            if (run.next() == null) {
                throw new MnistException("run " + runId + " already finished: " + run.outcome());
            }
            log.accept("resuming run " + runId + " at step " + run.next());
            return execute(run.with("running", null, null, run.next(), run.state(), run.steps()), lock);
        }
    }

    private RunRecord start(RetrainRequest request) {
        String id = "run-" + RUN_ID.format(Instant.now());
        for (int n = 2; runs.find(id).isPresent(); n++) {
            id = "run-" + RUN_ID.format(Instant.now()) + "-" + n;
        }
        ObjectNode state = Json.mapper().createObjectNode();
        state.set("request", Json.mapper().valueToTree(request));
        Graph.Position first = graph.advance(graph.startAt(), state, Graph.context(id));
        RunRecord run = new RunRecord(id, "running", null, Instant.now().toString(), null, first.task(),
                (ObjectNode) first.document(), List.of());
        runs.save(run);
        log.accept("run " + id + " started (" + request.reason() + ")");
        return run;
    }

    /** What the steps of run {@code runId} may touch; also for running one step on its own. */
    public StepContext contextFor(String runId) {
        return new StepContext(runId, home.workDir(runId), registry, store, runs, training, notifier, drift, log,
                home.files(runId));
    }

    private RunRecord execute(RunRecord run, PipelineLock lock) {
        StepContext context = contextFor(run.id());
        JsonNode executionContext = Graph.context(run.id());
        while (run.next() != null) {
            lock.check(); // a run that lost a lease to another must not write its steps' results
            String name = run.next();
            State.Task task = graph.task(name);
            ObjectNode state = run.state().deepCopy();
            List<StepRun> steps = new ArrayList<>(run.steps());
            int[] retries = new int[task.retry().size()];
            Graph.Position position = null;
            while (position == null) {
                Instant started = Instant.now();
                long t0 = System.nanoTime();
                int attempt = (int) steps.stream().filter(s -> s.name().equals(task.step())).count() + 1;
                JsonNode input = null;
                try {
                    Invocation<?, ?> call = Invocation.of(step(task.step()), state);
                    input = Json.mapper().valueToTree(call.input());
                    JsonNode output = call.run(context);
                    steps.add(new StepRun(task.step(), attempt, "succeeded", started.toString(), seconds(t0), input,
                            output, null));
                    position = graph.advance(task.next(), graph.stateAfter(task, state, output), executionContext);
                } catch (RuntimeException e) {
                    String error = StepErrors.name(e);
                    steps.add(new StepRun(task.step(), attempt, "failed", started.toString(), seconds(t0), input, null,
                            String.valueOf(e.getMessage())));
                    Optional<Duration> retry = graph.retryDelay(task, error, retries);
                    if (retry.isPresent()) {
                        log.accept("step " + name + " failed (" + error + ": " + e.getMessage() + "); retrying in "
                                + retry.get().toSeconds() + " s");
                        sleep(retry.get());
                        continue;
                    }
                    Optional<State.Catch> caught = graph.catcher(task, error);
                    Graph.Position after = caught.map(c -> graph.advance(c.next(),
                            Graph.caught(state, c, error, String.valueOf(e.getMessage())), executionContext))
                            .orElse(null);
                    if (after == null || after.fail() != null) {
                        // Failed: the record keeps the state before the step, so a resume runs the step again.
                        run = run.with("failed", "failed", Instant.now().toString(), name, run.state(), steps);
                        runs.save(run);
                        throw new StepFailedException(run, name, e);
                    }
                    position = after;
                }
            }
            if (position.fail() != null) {
                run = run.with("failed", "failed", Instant.now().toString(), null, (ObjectNode) position.document(),
                        steps);
                runs.save(run);
                throw new StepFailedException(run, name, new MnistException(position.fail().cause()));
            }
            ObjectNode document = (ObjectNode) position.document();
            run = position.ended()
                    ? run.with("succeeded", document.path("notify").path("outcome").asText(), Instant.now().toString(),
                            null, document, steps)
                    : run.with("running", null, null, position.task(), document, steps);
            runs.save(run);
        }
        log.accept("run " + run.id() + " finished: " + run.outcome());
        return run;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MnistException("interrupted while waiting to retry a step");
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Runs one step against a state document and returns its output as JSON: the task contract. */
    public static JsonNode runStep(String name, ObjectNode state, StepContext context) {
        return Invocation.of(step(name), state).run(context);
    }

    /** A step with its typed input, read once from the state (what a Step Functions task is passed). */
    private record Invocation<I, O>(Step<I, O> step, I input) {
        static <I, O> Invocation<I, O> of(Step<I, O> step, ObjectNode state) {
            return new Invocation<>(step, Json.mapper().convertValue(state, step.inputType()));
        }

        JsonNode run(StepContext context) {
            return Json.mapper().valueToTree(step.run(input, context));
        }
    }

    private static Step<?, ?> step(String name) {
        Step<?, ?> step = STEPS.containsKey(name) ? STEPS.get(name) : DEPLOYMENT_STEPS.get(name);
        if (step == null) {
            throw new IllegalArgumentException("unknown step '" + name + "'; steps are " + STEPS.keySet() + " and "
                    + DEPLOYMENT_STEPS.keySet());
        }
        return step;
    }

    private static Map<String, Step<?, ?>> steps(Step<?, ?>... steps) {
        Map<String, Step<?, ?>> map = new LinkedHashMap<>();
        for (Step<?, ?> s : steps) {
            map.put(s.name(), s);
        }
        return java.util.Collections.unmodifiableMap(map);
    }
}
