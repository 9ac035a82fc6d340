package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;

/**
 * The same pipeline as an AWS Step Functions state machine (Amazon States Language), generated
 * from the step list so the two cannot drift apart. Each step is a Task that calls one resource
 * (a Lambda function or a container running {@code mnist retrain step NAME}) with
 * {@code {"step": NAME, "runId": <execution name>, "state": <the whole state>}} and stores the
 * result under the step's name, exactly as {@link PipelineRunner} does; the Choice states encode
 * {@link PipelineRunner#next}.
 */
public final class StateMachineDefinition {
    private StateMachineDefinition() {}

    /** The ASL document; {@code taskResource} is the ARN every Task invokes. */
    public static ObjectNode asl(String taskResource) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("Comment", "mnist-pipeline retraining: the states of PipelineRunner, one Task per step");
        root.put("StartAt", PipelineRunner.FIRST);
        ObjectNode states = root.putObject("States");
        task(states, taskResource, "ingest", "validate");
        task(states, taskResource, "validate", "decide");
        task(states, taskResource, "decide", "retrain?");
        ObjectNode retrain = choice(states, "retrain?", "notify");
        rule(retrain, "train").put("Variable", "$.decide.retrain").put("BooleanEquals", true);
        task(states, taskResource, "train", "evaluate");
        task(states, taskResource, "evaluate", "gate");
        task(states, taskResource, "gate", "passed?");
        ObjectNode passed = choice(states, "passed?", "reject");
        rule(passed, "register").put("Variable", "$.gate.passed").put("BooleanEquals", true);
        ObjectNode fallback = rule(passed, "keep incremental attempt");
        ArrayNode and = fallback.putArray("And");
        and.addObject().put("Variable", "$.gate.mode").put("StringEquals", Mode.INCREMENTAL.name());
        and.addObject().put("Variable", "$.request.fallbackToFull").put("BooleanEquals", true);
        // Before the full retrain overwrites train/evaluate/gate, keep the incremental attempt's verdict.
        ObjectNode keep = states.putObject("keep incremental attempt");
        keep.put("Type", "Pass").put("InputPath", "$.gate").put("ResultPath", "$.incremental.gate").put("Next", "train");
        task(states, taskResource, "register", "promote");
        task(states, taskResource, "promote", "notify");
        task(states, taskResource, "reject", "notify");
        ObjectNode notify = task(states, taskResource, "notify", null);
        notify.put("End", true);
        // A failed step ends the execution; the champion is untouched because only promote changes it.
        states.putObject("failed").put("Type", "Fail").put("Error", "StepFailed")
                .put("Cause", "a pipeline step failed; the production alias was not changed");
        return root;
    }

    private static ObjectNode task(ObjectNode states, String resource, String step, String next) {
        ObjectNode t = states.putObject(step);
        t.put("Type", "Task").put("Resource", resource);
        ObjectNode parameters = t.putObject("Parameters");
        parameters.put("step", step);
        parameters.put("runId.$", "$$.Execution.Name");
        parameters.put("state.$", "$");
        t.put("ResultPath", "$." + step);
        ObjectNode retry = t.putArray("Retry").addObject();
        retry.putArray("ErrorEquals").add("States.Timeout").add("Lambda.ServiceException");
        retry.put("MaxAttempts", 2).put("IntervalSeconds", 5).put("BackoffRate", 2.0);
        ObjectNode katch = t.putArray("Catch").addObject();
        katch.putArray("ErrorEquals").add("States.ALL");
        katch.put("ResultPath", "$.error").put("Next", "failed");
        if (next != null) {
            t.put("Next", next);
        }
        return t;
    }

    private static ObjectNode choice(ObjectNode states, String name, String otherwise) {
        ObjectNode c = states.putObject(name);
        c.put("Type", "Choice");
        c.putArray("Choices");
        c.put("Default", otherwise);
        return c;
    }

    private static ObjectNode rule(ObjectNode choice, String next) {
        ObjectNode r = ((ArrayNode) choice.get("Choices")).addObject();
        r.put("Next", next);
        return r;
    }
}
