package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
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
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.RunStore.StepRun;
import org.mnistpipeline.pipeline.steps.DecideStep;
import org.mnistpipeline.pipeline.steps.EvaluateStep;
import org.mnistpipeline.pipeline.steps.GateStep;
import org.mnistpipeline.pipeline.steps.IngestStep;
import org.mnistpipeline.pipeline.steps.NotifyStep;
import org.mnistpipeline.pipeline.steps.PromoteStep;
import org.mnistpipeline.pipeline.steps.RegisterStep;
import org.mnistpipeline.pipeline.steps.RejectStep;
import org.mnistpipeline.pipeline.steps.TrainStep;
import org.mnistpipeline.pipeline.steps.ValidateStep;
import org.mnistpipeline.registry.ModelRegistry;

/**
 * Runs the pipeline in this process, the way a Step Functions state machine runs it on AWS: a
 * state document that starts as {@code {"request": ...}}, each step reading it and adding its
 * output under its own name, and {@link #next} choosing the following step from the state alone.
 * The run record is saved after every step, so a killed run resumes at the step it was in.
 *
 * <pre>
 * ingest → validate → decide ─(no)──────────────────────────────→ notify
 *                        └(yes)→ train → evaluate → gate ─(pass)→ register → promote → notify
 *                                  ↑                   ├(fail, incremental, fallback)┘ (full retrain)
 *                                  └───────────────────┘
 *                                                      └(fail)→ reject → notify
 * </pre>
 */
public final class PipelineRunner {
    /** Every step, by name: the task list a state machine definition is generated from. */
    public static final Map<String, Step<?, ?>> STEPS = steps(new IngestStep(), new ValidateStep(), new DecideStep(),
            new TrainStep(), new EvaluateStep(), new GateStep(), new RegisterStep(), new PromoteStep(),
            new RejectStep(), new NotifyStep());
    public static final String FIRST = "ingest";
    private static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path home;
    private final ModelRegistry registry;
    private final BatchStore store;
    private final Training training;
    private final Notifier notifier;
    private final DriftCheck drift;
    private final Consumer<String> log;
    private final RunStore runs;
    private final Consumer<String> crashPoint;

    /** @param home the pipeline's directory: {@code runs/}, {@code work/}, the lock and the notifications */
    public PipelineRunner(Path home, ModelRegistry registry, BatchStore store, Training training, Notifier notifier,
            Consumer<String> log) {
        this(home, registry, store, training, notifier, DriftCheck.NONE, log);
    }

    public PipelineRunner(Path home, ModelRegistry registry, BatchStore store, Training training, Notifier notifier,
            DriftCheck drift, Consumer<String> log) {
        this(home, registry, store, training, notifier, drift, log, point -> { });
    }

    /**
     * {@code crashPoint} is told "STEP started" before each step runs and "STEP done" after it
     * returned, before its result is saved: crash tests kill the process there.
     */
    PipelineRunner(Path home, ModelRegistry registry, BatchStore store, Training training, Notifier notifier,
            DriftCheck drift, Consumer<String> log, Consumer<String> crashPoint) {
        this.crashPoint = crashPoint;
        this.drift = drift;
        this.home = home;
        this.registry = registry;
        this.store = store;
        this.training = training;
        this.notifier = notifier;
        this.log = log;
        this.runs = RunStore.under(home);
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
        try (PipelineLock ignored = PipelineLock.acquire(home.resolve("lock"))) {
            Optional<RunRecord> interrupted = runs.list().reversed().stream().filter(r -> !r.finished()).findFirst();
            if (interrupted.isPresent()) {
                log.accept("resuming run " + interrupted.get().id() + " at step " + interrupted.get().next()
                        + " (it was interrupted)");
                return execute(interrupted.get());
            }
            return execute(start(request));
        }
    }

    /** Runs a failed or interrupted run again from the step where it stopped. */
    public RunRecord resume(String runId) {
        try (PipelineLock ignored = PipelineLock.acquire(home.resolve("lock"))) {
            RunRecord run = runs.find(runId).orElseThrow(() -> new MnistException("no run " + runId));
            if (run.next() == null) {
                throw new MnistException("run " + runId + " already finished: " + run.outcome());
            }
            log.accept("resuming run " + runId + " at step " + run.next());
            return execute(run.with("running", null, null, run.next(), run.state(), run.steps()));
        }
    }

    private RunRecord start(RetrainRequest request) {
        String id = "run-" + RUN_ID.format(Instant.now());
        for (int n = 2; runs.find(id).isPresent(); n++) {
            id = "run-" + RUN_ID.format(Instant.now()) + "-" + n;
        }
        ObjectNode state = Json.mapper().createObjectNode();
        state.set("request", Json.mapper().valueToTree(request));
        RunRecord run = new RunRecord(id, "running", null, Instant.now().toString(), null, FIRST, state, List.of());
        runs.save(run);
        log.accept("run " + id + " started (" + request.reason() + ")");
        return run;
    }

    /** What the steps of run {@code runId} may touch; also for running one step on its own. */
    public StepContext contextFor(String runId) {
        return new StepContext(runId, home.resolve("work").resolve(runId), registry, store, runs, training, notifier,
                drift, log);
    }

    private RunRecord execute(RunRecord run) {
        StepContext context = contextFor(run.id());
        while (run.next() != null) {
            String name = run.next();
            ObjectNode state = run.state().deepCopy();
            Instant started = Instant.now();
            long t0 = System.nanoTime();
            int attempt = (int) run.steps().stream().filter(s -> s.name().equals(name) && "succeeded".equals(s.status()))
                    .count() + 1;
            List<StepRun> steps = new ArrayList<>(run.steps());
            JsonNode input = null;
            try {
                Invocation<?, ?> call = Invocation.of(step(name), state);
                input = Json.mapper().valueToTree(call.input());
                crashPoint.accept(name + " started");
                JsonNode output = call.run(context);
                crashPoint.accept(name + " done");
                if ("gate".equals(name) && fallsBack(state, output)) {
                    // Keep the incremental attempt's record in the state before the full retrain overwrites it.
                    ObjectNode attempt1 = Json.mapper().createObjectNode();
                    attempt1.set("train", state.get("train"));
                    attempt1.set("evaluate", state.get("evaluate"));
                    attempt1.set("gate", output);
                    state.set("incremental", attempt1);
                }
                state.set(name, output);
                steps.add(new StepRun(name, attempt, "succeeded", started.toString(), seconds(t0), input, output, null));
                String next = next(name, state);
                run = next == null
                        ? run.with("succeeded", state.get("notify").path("outcome").asText(), Instant.now().toString(),
                                null, state, steps)
                        : run.with("running", null, null, next, state, steps);
                runs.save(run);
            } catch (RuntimeException e) {
                steps.add(new StepRun(name, attempt, "failed", started.toString(), seconds(t0), input, null,
                        String.valueOf(e.getMessage())));
                run = run.with("failed", "failed", Instant.now().toString(), name, run.state(), steps);
                runs.save(run);
                throw new StepFailedException(run, name, e);
            }
        }
        log.accept("run " + run.id() + " finished: " + run.outcome());
        return run;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static boolean fallsBack(ObjectNode state, JsonNode gate) {
        return !gate.path("passed").asBoolean() && Mode.INCREMENTAL.name().equals(gate.path("mode").asText())
                && state.path("request").path("fallbackToFull").asBoolean(true);
    }

    /** The step after {@code done}, read from the state alone; null at the end. */
    public static String next(String done, ObjectNode state) {
        return switch (done) {
            case "ingest" -> "validate";
            case "validate" -> "decide";
            case "decide" -> state.path("decide").path("retrain").asBoolean() ? "train" : "notify";
            case "train" -> "evaluate";
            case "evaluate" -> "gate";
            case "gate" -> {
                JsonNode gate = state.path("gate");
                if (gate.path("passed").asBoolean()) {
                    yield "register";
                }
                yield state.has("incremental") && state.path("incremental").path("gate").equals(gate)
                        ? "train" : "reject";
            }
            case "register" -> "promote";
            case "promote", "reject" -> "notify";
            case "notify" -> null;
            default -> throw new IllegalArgumentException("unknown step " + done);
        };
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
        Step<?, ?> step = STEPS.get(name);
        if (step == null) {
            throw new IllegalArgumentException("unknown step '" + name + "'; steps are " + STEPS.keySet());
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
