package org.mnistpipeline.pipeline.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.pipeline.RetrainGraph;
import org.mnistpipeline.pipeline.StateMachineDefinition;
import org.mnistpipeline.pipeline.graph.AslBinding;
import org.mnistpipeline.pipeline.graph.Graph;
import org.mnistpipeline.pipeline.graph.StepErrors;

/**
 * The AWS binding's shape: where it splices its states into the graph's, that the graph's transitions and rules are
 * all still there, and the names and hyperparameters it hands SageMaker. A Step Functions engine executes the same
 * definition in the CLI module's {@code AwsBindingExecutionTest}.
 */
class AwsBindingTest {
    static final AwsTargets TARGETS = new AwsTargets("arn:aws:lambda:eu-west-1:123456789012:function:mnist-pipeline-step",
            "s3://artifacts/mnist",
            new AwsTargets.Training("123456789012.dkr.ecr.eu-west-1.amazonaws.com/mnist-pipeline@sha256:" + "0".repeat(64),
                    "arn:aws:iam::123456789012:role/training", "ml.m5.xlarge", 10, 7200, 14400),
            new AwsTargets.Endpoint("mnist-pipeline", "AllTraffic", "image", "arn:aws:iam::123456789012:role/model",
                    "ml.c5.large", 2, Guardrails.canary(List.of("mnist-pipeline-5xx", "mnist-pipeline-p99-latency"))),
            new AwsTargets.Function("mnist-pipeline-predict", "live"), "/mnist-pipeline/production/model-data-url");

    private final Graph graph = RetrainGraph.definition();
    private final ObjectNode asl = AwsBinding.definition(TARGETS);
    private final JsonNode states = asl.get("States");

    @Test
    void theGraphsStatesAndRulesAreAllThereWithTheBindingsStatesSplicedBetween() {
        ObjectNode plain = StateMachineDefinition.asl("arn:aws:lambda:eu-west-1:123456789012:function:x");
        for (String name : graph.states().keySet()) {
            assertThat(states.has(name)).as(name).isTrue();
            assertThat(states.get(name).path("Type")).isEqualTo(plain.at("/States/" + name + "/Type"));
        }
        assertThat(states.at("/passed?/Choices")).isEqualTo(plain.at("/States/passed?/Choices").deepCopy());
        // Entering the graph, or train from either side, goes through the binding's states first.
        assertThat(asl.get("StartAt").asText()).isEqualTo(AwsBinding.CHECK_RUNNING);
        assertThat(states.at("/" + AwsBinding.ONLY_RUN + "/Default").asText()).isEqualTo("ingest");
        assertThat(states.at("/retrain?/Choices/0/Next").asText()).isEqualTo(AwsBinding.STAGE);
        assertThat(states.at("/" + RetrainGraph.FALLBACK_STATE + "/Next").asText()).isEqualTo(AwsBinding.STAGE);
        assertThat(states.at("/" + AwsBinding.STAGE + "/Next").asText()).isEqualTo("train");
        assertThat(states.at("/train/Next").asText()).isEqualTo(AwsBinding.COLLECT);
        assertThat(states.at("/" + AwsBinding.COLLECT + "/Next").asText()).isEqualTo("evaluate");
        assertThat(states.at("/promote/Next").asText()).isEqualTo(AwsBinding.PACKAGE);
        assertThat(states.at("/" + AwsBinding.RECORD_MODEL + "/Next").asText()).isEqualTo("notify");
        // The helper steps retry and fail as the graph's train state does.
        for (String helper : List.of(AwsBinding.STAGE, AwsBinding.COLLECT)) {
            assertThat(states.at("/" + helper + "/Retry/0/ErrorEquals/0").asText()).isEqualTo(StepErrors.IO);
            assertThat(states.at("/" + helper + "/Catch/0/Next").asText()).isEqualTo(RetrainGraph.FAILED_STATE);
            assertThat(states.at("/" + helper + "/Resource").asText()).isEqualTo(TARGETS.stepRunner());
        }
        assertThat(states.at("/" + AwsBinding.STAGE + "/Parameters/step").asText()).isEqualTo("stage-training");
    }

    @Test
    void everyTransitionLeadsToAStateAndEveryStateIsReachable() {
        Set<String> reached = new HashSet<>();
        List<String> todo = new ArrayList<>(List.of(asl.get("StartAt").asText()));
        while (!todo.isEmpty()) {
            String name = todo.removeLast();
            if (!reached.add(name)) {
                continue;
            }
            JsonNode s = states.get(name);
            assertThat(s).as("state '%s'", name).isNotNull();
            List<JsonNode> targets = new ArrayList<>(List.of(s.path("Next"), s.path("Default")));
            s.path("Choices").forEach(c -> targets.add(c.path("Next")));
            s.path("Catch").forEach(c -> targets.add(c.path("Next")));
            targets.stream().filter(JsonNode::isTextual).map(JsonNode::asText).forEach(todo::add);
        }
        assertThat(reached).containsExactlyInAnyOrderElementsOf(iterable(states.fieldNames()));
        assertThat(asl.toString()).doesNotContain(AslBinding.Splice.CONTINUE);
    }

    @Test
    void trainIsAManagedSpotTrainingJobWithCheckpointsOnTheStagedPlan() {
        JsonNode train = states.get("train");
        assertThat(train.get("Resource").asText()).isEqualTo("arn:aws:states:::sagemaker:createTrainingJob.sync");
        JsonNode p = train.get("Parameters");
        assertThat(p.get("TrainingJobName.$").asText()).isEqualTo("$.trainingJob.jobName");
        assertThat(p.get("EnableManagedSpotTraining").asBoolean()).isTrue();
        assertThat(p.at("/CheckpointConfig/S3Uri.$").asText()).isEqualTo("$.trainingJob.checkpoints");
        assertThat(p.at("/StoppingCondition/MaxWaitTimeInSeconds").asInt())
                .isGreaterThanOrEqualTo(p.at("/StoppingCondition/MaxRuntimeInSeconds").asInt());
        assertThat(p.at("/HyperParameters.$").asText()).isEqualTo("$.trainingJob.hyperparameters");
        assertThat(p.at("/InputDataConfig/0/ChannelName").asText()).isEqualTo("train");
        assertThat(p.at("/InputDataConfig/1/ChannelName").asText()).isEqualTo("champion");
        assertThat(p.at("/Environment/MNIST_HOME").asText()).isEqualTo("s3://artifacts/mnist");
        assertThat(p.at("/RoleArn").asText()).isEqualTo(TARGETS.training().role());
        // The graph's retriers and catchers stay the train state's.
        assertThat(train.at("/Catch/0/Next").asText()).isEqualTo(RetrainGraph.FAILED_STATE);
    }

    @Test
    void theEndpointUpdateCarriesTheGuardrailsAndOnlyTheNewConfigInServiceCountsAsDeployed() {
        JsonNode update = states.get(AwsBinding.UPDATE_ENDPOINT);
        assertThat(update.at("/Parameters/DeploymentConfig")).isEqualTo(TARGETS.endpoint().guardrails().deploymentConfig());
        assertThat(update.at("/Parameters/DeploymentConfig/AutoRollbackConfiguration/Alarms/1/AlarmName").asText())
                .isEqualTo("mnist-pipeline-p99-latency");
        JsonNode choice = states.get(AwsBinding.ENDPOINT_UPDATED);
        assertThat(choice.at("/Choices/0/And/1/StringEqualsPath").asText()).isEqualTo("$.deploy.release.modelName");
        assertThat(choice.at("/Choices/0/Next").asText()).isEqualTo(AwsBinding.READ_FUNCTION);
        assertThat(choice.at("/Choices/1/Next").asText()).isEqualTo(AwsBinding.ENDPOINT_NOT_UPDATED);
        assertThat(choice.at("/Default").asText()).isEqualTo(AwsBinding.WAIT_ENDPOINT);
        // Before the endpoint runs the new model, a failure only rolls the registry back; after, the endpoint too.
        assertThat(states.at("/" + AwsBinding.UPDATE_ENDPOINT + "/Catch/0/Next").asText()).isEqualTo(AwsBinding.ROLLBACK);
        assertThat(states.at("/" + AwsBinding.PUBLISH + "/Catch/0/Next").asText())
                .isEqualTo(AwsBinding.RESTORE_ENDPOINT);
        assertThat(states.at("/" + AwsBinding.RECORD_MODEL + "/Catch/0/Next").asText())
                .isEqualTo(AwsBinding.RESTORE_ALIAS);
        assertThat(states.at("/" + AwsBinding.ROLLBACK + "/Parameters/step").asText()).isEqualTo("rollback");
        assertThat(states.at("/" + AwsBinding.ROLLBACK + "/Next").asText()).isEqualTo(AwsBinding.ROLLOUT_FAILED);
        assertThat(states.at("/" + AwsBinding.ROLLOUT_FAILED + "/Type").asText()).isEqualTo("Fail");
    }

    @Test
    void jobAndModelNamesAreValidSageMakerNamesNewEveryTimeEvenFromLongExecutionNames() {
        Pattern valid = Pattern.compile("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$");
        String run = "Scheduled_Run.2026-12-03T06:00:00Z_" + "x".repeat(80);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String name = TrainingJobs.uniqueName("inc", run);
            assertThat(name).matches(valid).startsWith("mnist-inc-scheduled-run-2026-12-03t06-00-00z-x");
            assertThat(name.length()).isLessThanOrEqualTo(63);
            names.add(name);
        }
        assertThat(names).hasSize(100);
        assertThat(TrainingJobs.uniqueName("v12", "__")).matches(valid).startsWith("mnist-v12-run-");
    }

    @Test
    void hyperparametersCarryEveryFieldOfTheRecipeAndRefuseAnAugmentationTheyCannotExpress() {
        Hyperparameters fine = Hyperparameters.strongDefaults().forFineTuning(3, 3e-3f * 0.7f, 400).withSeed(7);
        Map<String, String> hp = TrainingJobs.hyperparameters(fine);
        assertThat(hp).hasSize(Hyperparameters.class.getRecordComponents().length)
                .containsEntry("lr", Float.toString(3e-3f * 0.7f)).containsEntry("seed", "7")
                .containsEntry("optimizer", "adamw").containsEntry("augment", "1.0")
                .containsEntry("validation-size", "400").containsEntry("patience", "0");
        for (float strength : new float[] {0f, 0.3f, 0.7f, 1.3f, 2.5f}) {
            assertThat(Augmentation.ofStrength(TrainingJobs.strength(Augmentation.ofStrength(strength))))
                    .isEqualTo(Augmentation.ofStrength(strength));
        }
        assertThatThrownBy(() -> TrainingJobs.strength(new Augmentation(10, 0, 0)))
                .hasMessageContaining("one-knob");
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }
}
