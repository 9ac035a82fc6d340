package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.graph.Condition.And;
import org.mnistpipeline.pipeline.graph.Condition.BooleanEquals;
import org.mnistpipeline.pipeline.graph.Condition.StringEquals;
import org.mnistpipeline.pipeline.graph.Graph;
import org.mnistpipeline.pipeline.graph.State;
import org.mnistpipeline.pipeline.graph.State.Catch;
import org.mnistpipeline.pipeline.graph.State.Choice;
import org.mnistpipeline.pipeline.graph.State.Fail;
import org.mnistpipeline.pipeline.graph.State.Pass;
import org.mnistpipeline.pipeline.graph.State.Retry;
import org.mnistpipeline.pipeline.graph.State.Rule;
import org.mnistpipeline.pipeline.graph.State.Task;
import org.mnistpipeline.pipeline.graph.StepErrors;

/**
 * The retraining pipeline's shape, the one place it is written. {@link PipelineRunner} interprets
 * it and {@link StateMachineDefinition} renders it as Amazon States Language, so changing it here
 * changes both.
 *
 * <pre>
 * ingest → validate → decide → retrain? ─(no)──────────────────────────────────────→ notify
 *                                 └(yes)→ train → evaluate → gate → passed? ─(yes)→ register → promote → notify
 *                                           ↑                          ├(incremental, fallbackToFull)
 *                                           └── fall back to full ─────┘
 *                                                                      └(otherwise)→ reject → notify
 * any step's error → failed (the champion is untouched: only promote changes it)
 * </pre>
 *
 * The incremental→full fallback is this graph's {@code passed?} rule and its Pass state, which
 * keeps the incremental attempt's train, evaluate and gate outputs under {@code $.fallback} and
 * asks the train step for a full retrain ({@code $.fallback.mode}); the second gate's mode is
 * {@code FULL}, so the rule cannot fire twice.
 */
public final class RetrainGraph {
    public static final String FALLBACK_STATE = "fall back to full retrain";
    public static final String FAILED_STATE = "failed";

    private RetrainGraph() {}

    public static Graph definition() {
        SequencedMap<String, State> s = new LinkedHashMap<>();
        s.put("ingest", task("ingest", "validate"));
        s.put("validate", task("validate", "decide"));
        s.put("decide", task("decide", "retrain?"));
        s.put("retrain?", new Choice(List.of(new Rule(new BooleanEquals("$.decide.retrain", true), "train")),
                "notify"));
        s.put("train", task("train", "evaluate"));
        s.put("evaluate", task("evaluate", "gate"));
        s.put("gate", task("gate", "passed?"));
        s.put("passed?", new Choice(List.of(
                new Rule(new BooleanEquals("$.gate.passed", true), "register"),
                new Rule(new And(List.of(new StringEquals("$.gate.mode", Mode.INCREMENTAL.name()),
                        new BooleanEquals("$.request.fallbackToFull", true))), FALLBACK_STATE)),
                "reject"));
        ObjectNode fallback = Json.mapper().createObjectNode();
        fallback.put("mode", Mode.FULL.name());
        ObjectNode attempt = fallback.putObject("incremental");
        attempt.put("train.$", "$.train");
        attempt.put("evaluate.$", "$.evaluate");
        attempt.put("gate.$", "$.gate");
        s.put(FALLBACK_STATE, new Pass(fallback, "$.fallback", "train"));
        s.put("register", task("register", "promote"));
        s.put("promote", task("promote", "notify"));
        s.put("reject", task("reject", "notify"));
        s.put("notify", task("notify", null));
        s.put(FAILED_STATE, new Fail("StepFailed", "a pipeline step failed; the champion's alias was not changed"));
        return new Graph("mnist-pipeline retraining: ingest, decide, train, evaluate, gate, then promote or reject",
                "ingest", s);
    }

    /**
     * A step's Task state: its output stored under its own name; I/O errors retried twice (2 s, then
     * 4 s); every other error, or one that outlasts its retries, ends the run as failed.
     */
    private static Task task(String step, String next) {
        return new Task(step, "$." + step, next, List.of(new Retry(List.of(StepErrors.IO), 2, 2, 2.0)),
                List.of(new Catch(List.of(Graph.ALL_ERRORS), "$.error", FAILED_STATE)));
    }
}
