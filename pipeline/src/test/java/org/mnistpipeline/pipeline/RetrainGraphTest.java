package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.graph.AslBinding;
import org.mnistpipeline.pipeline.graph.Graph;
import org.mnistpipeline.pipeline.graph.JsonPaths;
import org.mnistpipeline.pipeline.graph.State;
import org.mnistpipeline.pipeline.graph.StepErrors;

/**
 * The retraining graph, interpreted as the local runner interprets it and rendered as Amazon States
 * Language: the transitions, the fallback rule, retries and catches, and the binding's limits. A
 * Step Functions engine executes the rendered definition in the CLI module's
 * {@code StepFunctionsExecutionTest}.
 */
class RetrainGraphTest {
    private final Graph graph = RetrainGraph.definition();
    private final JsonNode context = Graph.context("run-1");

    private ObjectNode state(String json) {
        try {
            return (ObjectNode) Json.mapper().readTree(json.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void decidingNotToRetrainGoesStraightToNotify() {
        var doc = state("{'request': {'fallbackToFull': true}, 'decide': {'retrain': false}}");
        assertThat(graph.advance("retrain?", doc, context).task()).isEqualTo("notify");
        assertThat(graph.advance("retrain?", state("{'decide': {'retrain': true}}"), context).task())
                .isEqualTo("train");
    }

    @Test
    void aFailedIncrementalGateFallsBackToAFullRetrainKeepingTheAttempt() {
        var doc = state("{'request': {'fallbackToFull': true}, 'train': {'mode': 'INCREMENTAL', 'artifact': 'a'},"
                + " 'evaluate': {'testImages': 10}, 'gate': {'passed': false, 'mode': 'INCREMENTAL'}}");

        Graph.Position next = graph.advance("passed?", doc, context);

        assertThat(next.task()).isEqualTo("train");
        assertThat(next.document().at("/fallback/mode").asText()).isEqualTo("FULL");
        assertThat(next.document().at("/fallback/incremental/train/artifact").asText()).isEqualTo("a");
        assertThat(next.document().at("/fallback/incremental/gate/passed").asBoolean()).isFalse();
        assertThat(next.document().at("/fallback/incremental/evaluate/testImages").asInt()).isEqualTo(10);
        // The train step reads the mode the graph asks for.
        var input = Json.mapper().convertValue(next.document(), org.mnistpipeline.pipeline.steps.TrainStep.Input.class);
        assertThat(input.fallback().mode()).isEqualTo(RetrainRequest.Mode.FULL);
        assertThat(input.fallback().incremental().gate().passed()).isFalse();
    }

    @Test
    void aFailedFullGateOrAFallbackSwitchedOffIsRejectedAndAPassIsRegistered() {
        assertThat(graph.advance("passed?", state("{'request': {'fallbackToFull': true},"
                + " 'gate': {'passed': false, 'mode': 'FULL'}}"), context).task()).isEqualTo("reject");
        assertThat(graph.advance("passed?", state("{'request': {'fallbackToFull': false},"
                + " 'gate': {'passed': false, 'mode': 'INCREMENTAL'}}"), context).task()).isEqualTo("reject");
        assertThat(graph.advance("passed?", state("{'request': {'fallbackToFull': true},"
                + " 'gate': {'passed': true, 'mode': 'INCREMENTAL'}}"), context).task()).isEqualTo("register");
    }

    @Test
    void aChoiceOnAMissingVariableIsAnErrorAsInStepFunctions() {
        assertThatThrownBy(() -> graph.advance("passed?", state("{'request': {}}"), context))
                .isInstanceOf(JsonPaths.StatesException.class).hasMessageContaining("$.gate.passed");
    }

    @Test
    void ioErrorsAreRetriedTwiceWithBackoffThenEveryErrorEndsInTheFailState() {
        State.Task train = graph.task("train");
        int[] attempts = new int[train.retry().size()];
        String io = StepErrors.name(new java.io.UncheckedIOException(new java.io.IOException("disk")));
        assertThat(graph.retryDelay(train, io, attempts)).contains(Duration.ofSeconds(2));
        assertThat(graph.retryDelay(train, io, attempts)).contains(Duration.ofSeconds(4));
        assertThat(graph.retryDelay(train, io, attempts)).isEmpty();
        String data = StepErrors.name(new DataException("gone"));
        assertThat(graph.retryDelay(train, data, new int[train.retry().size()])).isEmpty();
        State.Catch c = graph.catcher(train, data).orElseThrow();
        Graph.Position failed = graph.advance(c.next(), Graph.caught(state("{}"), c, data, "gone"), context);
        assertThat(failed.fail()).isNotNull();
        assertThat(failed.document().at("/error/Error").asText()).isEqualTo("mnist.DataError");
    }

    @Test
    void theDefinitionIsDerivedStateByStateFromTheGraph() {
        ObjectNode asl = StateMachineDefinition.asl("arn:aws:lambda:eu-west-1:123456789012:function:step");
        JsonNode states = asl.get("States");
        assertThat(asl.get("StartAt").asText()).isEqualTo(graph.startAt());
        assertThat(Json.mapper().convertValue(states, java.util.Map.class).keySet())
                .containsExactlyElementsOf(graph.states().keySet());
        for (String task : graph.taskNames()) {
            JsonNode t = states.get(task);
            assertThat(t.get("Type").asText()).isEqualTo("Task");
            assertThat(t.get("ResultPath").asText()).isEqualTo("$." + task);
            assertThat(t.at("/Parameters/step").asText()).isEqualTo(task);
            assertThat(t.at("/Parameters/state.$").asText()).isEqualTo("$");
            assertThat(t.at("/Retry/0/ErrorEquals/0").asText()).isEqualTo(StepErrors.IO);
            assertThat(t.at("/Catch/0/Next").asText()).isEqualTo(RetrainGraph.FAILED_STATE);
        }
        JsonNode passed = states.get("passed?");
        assertThat(passed.at("/Choices/0/Variable").asText()).isEqualTo("$.gate.passed");
        assertThat(passed.at("/Choices/1/And/0/Variable").asText()).isEqualTo("$.gate.mode");
        assertThat(passed.at("/Choices/1/And/1/Variable").asText()).isEqualTo("$.request.fallbackToFull");
        assertThat(states.at("/" + RetrainGraph.FALLBACK_STATE + "/Parameters/mode").asText())
                .isEqualTo("FULL");
        assertThat(states.get(RetrainGraph.FALLBACK_STATE).get("ResultPath").asText()).isEqualTo("$.fallback");
        assertThat(states.at("/notify/End").asBoolean()).isTrue();
    }

    @Test
    void aBindingChoosesResourcesAndSplicesStatesInButCannotChangeTheGraph() {
        AslBinding sageMakerTraining = new AslBinding() {
            @Override
            public ObjectNode task(String stateName, State.Task task) {
                ObjectNode t = AslBinding.oneResource("arn:aws:lambda:eu-west-1:123456789012:function:step")
                        .task(stateName, task);
                if (task.step().equals("train")) {
                    t.put("Resource", "arn:aws:states:::sagemaker:createTrainingJob.sync");
                }
                return t;
            }

            @Override
            public Optional<Splice> after(String stateName) {
                if (!stateName.equals("promote")) {
                    return Optional.empty();
                }
                var states = new LinkedHashMap<String, ObjectNode>();
                states.put("deploy", Json.mapper().createObjectNode().put("Type", "Pass")
                        .put("Next", Splice.CONTINUE));
                return Optional.of(new Splice("deploy", states));
            }
        };

        JsonNode states = StateMachineDefinition.asl(graph, sageMakerTraining).get("States");

        assertThat(states.at("/train/Resource").asText()).isEqualTo("arn:aws:states:::sagemaker:createTrainingJob.sync");
        assertThat(states.at("/train/Next").asText()).isEqualTo("evaluate");
        assertThat(states.at("/promote/Next").asText()).isEqualTo("deploy");
        assertThat(states.at("/deploy/Next").asText()).isEqualTo("notify");

        AslBinding meddling = (name, task) -> Json.mapper().createObjectNode().put("Resource", "arn:x")
                .put("Next", "notify");
        assertThatThrownBy(() -> StateMachineDefinition.asl(graph, meddling))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("may not set Next");
    }
}
