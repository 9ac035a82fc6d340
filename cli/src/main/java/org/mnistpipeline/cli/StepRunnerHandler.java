package org.mnistpipeline.cli;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.pipeline.graph.StepErrors;

/**
 * The step-runner function: one pipeline step per invocation, through the same task contract as
 * {@code mnist retrain step} ({@link RetrainCommand#runStep}), against the MNIST_HOME of its environment. The
 * event is what the state machine's Task states send, {@code {"step": NAME, "runId": EXECUTION, "state": {...}}};
 * the answer is the step's output. A failed step raises {@link mnist.DataError}, {@link mnist.IOError} or
 * {@link mnist.StepError}, which Lambda reports with that class name as {@code errorType} and the step's message
 * as {@code errorMessage}: the error names the graph's Retry and Catch rules match.
 *
 * <p>Runs in the project's image under AWS's runtime interface client ({@code docker/entrypoint.sh step-runner}).
 */
public final class StepRunnerHandler implements RequestStreamHandler {
    private final Locations locations;

    /** As Lambda creates it: locations from the function's environment. */
    public StepRunnerHandler() {
        this(Locations.fromEnvironment());
    }

    StepRunnerHandler(Locations locations) {
        this.locations = locations;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output,
            com.amazonaws.services.lambda.runtime.Context lambda) throws IOException {
        JsonNode event;
        try {
            event = Json.mapper().readTree(input);
        } catch (IOException e) {
            throw new mnist.StepError("the event is not JSON: " + e.getMessage(), e);
        }
        String step = event.path("step").asText("");
        String runId = event.path("runId").asText("");
        if (step.isBlank() || runId.isBlank() || !(event.get("state") instanceof ObjectNode state)) {
            throw new mnist.StepError("an event names a step and a run and carries the state:"
                    + " {\"step\": ..., \"runId\": ..., \"state\": {...}}", null);
        }
        // Progress goes to the function's log; the answer is the step's output alone.
        Context context = new Context(locations, new PrintStream(System.err, true, StandardCharsets.UTF_8),
                new PrintStream(System.err, true, StandardCharsets.UTF_8));
        JsonNode result;
        try {
            result = RetrainCommand.runStep(context, step, state, runId);
        } catch (RuntimeException e) {
            throw lambdaError(e);
        }
        output.write(Json.compact(result).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code e} as the exception whose class name is the graph's name for it. */
    static RuntimeException lambdaError(RuntimeException e) {
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        return switch (StepErrors.name(e)) {
            case StepErrors.DATA -> new mnist.DataError(message, e);
            case StepErrors.IO -> new mnist.IOError(message, e);
            default -> new mnist.StepError(message, e);
        };
    }
}
