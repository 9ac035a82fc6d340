package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.StateMachineDefinition;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class PipelineStackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Template pipeline;
    private static Synth synth;

    @BeforeAll
    static void synthesize() {
        synth = Synth.shared();
        pipeline = synth.template(synth.stacks.pipeline());
    }

    @Test
    void theDeployedDefinitionIsThePipelineModulesOwnGraphBoundToTheStepRunner() throws Exception {
        Capture definition = new Capture();
        pipeline.hasResourceProperties("AWS::StepFunctions::StateMachine", Match.objectLike(Map.of(
                "StateMachineName", "mnist-pipeline-retrain",
                "DefinitionString", definition)));
        String stepRunner = onlyLogicalId("AWS::Lambda::Function", Map.of("FunctionName", "mnist-pipeline-step"));
        // Fn::Join of literal parts and the step runner's ARN: put a marker where the ARN goes and compare.
        StringBuilder joined = new StringBuilder();
        for (Object part : (List<?>) ((List<?>) ((Map<?, ?>) definition.asObject()).get("Fn::Join")).get(1)) {
            if (part instanceof String s) {
                joined.append(s);
            } else {
                assertThat(part).isEqualTo(Map.of("Fn::GetAtt", List.of(stepRunner, "Arn")));
                joined.append("STEP-RUNNER-ARN");
            }
        }
        JsonNode deployed = JSON.readTree(joined.toString());
        assertThat(deployed).isEqualTo(JSON.readTree(StateMachineDefinition.asl("STEP-RUNNER-ARN").toString()));
        assertThat(deployed.path("States")).hasSizeGreaterThan(10);
    }

    @Test
    void executionsAreLoggedInFullAndTraced() {
        pipeline.hasResourceProperties("AWS::StepFunctions::StateMachine", Match.objectLike(Map.of(
                "StateMachineType", "STANDARD",
                "TracingConfiguration", Map.of("Enabled", true),
                "LoggingConfiguration", Match.objectLike(Map.of("Level", "ALL", "IncludeExecutionData", true)))));
    }

    @Test
    void theStateMachineMayPassExactlyTheTrainingRoleAndOnlyToSageMaker() {
        String trainingRole = onlyLogicalId("AWS::IAM::Role", Map.of("AssumeRolePolicyDocument", Match.objectLike(
                Map.of("Statement", List.of(Match.objectLike(Map.of("Principal",
                        Map.of("Service", "sagemaker.amazonaws.com"))))))));
        Capture statements = new Capture();
        pipeline.hasResourceProperties("AWS::IAM::Policy", Match.objectLike(Map.of(
                "PolicyName", Match.stringLikeRegexp("StateMachineRole.*"),
                "PolicyDocument", Match.objectLike(Map.of("Statement", statements)))));
        List<Object> passRole = statements.asArray().stream()
                .filter(s -> String.valueOf(((Map<?, ?>) s).get("Action")).contains("iam:PassRole")).toList();
        assertThat(passRole).containsExactly(Map.of(
                "Action", "iam:PassRole",
                "Effect", "Allow",
                "Resource", Map.of("Fn::GetAtt", List.of(trainingRole, "Arn")),
                "Condition", Map.of("StringEquals", Map.of("iam:PassedToService", "sagemaker.amazonaws.com"))));
        // No other iam:PassRole anywhere in the app.
        for (var stack : List.of(synth.stacks.foundation(), synth.stacks.serving(), synth.stacks.edge(),
                synth.stacks.observability())) {
            assertThat(synth.template(stack).toJSON().toString()).doesNotContain("iam:PassRole");
        }
        assertThat(pipeline.toJSON().toString().split("iam:PassRole", -1)).hasSize(2);
    }

    @Test
    void theStateMachineMayRunTrainingJobsNamedForThePipelineOnly() {
        Capture statements = new Capture();
        pipeline.hasResourceProperties("AWS::IAM::Policy", Match.objectLike(Map.of(
                "PolicyName", Match.stringLikeRegexp("StateMachineRole.*"),
                "PolicyDocument", Match.objectLike(Map.of("Statement", statements)))));
        String all = String.valueOf(statements.asArray());
        assertThat(all).contains("sagemaker:CreateTrainingJob").contains(":training-job/mnist-*")
                .contains("rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule")
                .doesNotContain("sagemaker:*").doesNotContain("lambda:*");
    }

    @Test
    void aScheduleAndAReadyBatchInTheInboxStartARunWithAFullRequest() throws Exception {
        Capture scheduled = new Capture();
        pipeline.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
                "ScheduleExpression", "rate(6 hours)",
                "Targets", List.of(Match.objectLike(Map.of("Input", scheduled))))));
        JsonNode request = JSON.readTree(scheduled.asString()).path("request");
        assertThat(request.path("reason").asText()).isEqualTo("scheduled");
        // Every field the definition's Choice states read is present: a missing one would fail the execution.
        assertThat(request.path("fallbackToFull").asBoolean()).isTrue();
        RetrainRequest parsed = JSON.treeToValue(request, RetrainRequest.class);
        assertThat(parsed.alias()).isEqualTo("production");

        Capture inbox = new Capture();
        pipeline.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
                "EventPattern", Map.of(
                        "source", List.of("aws.s3"),
                        "detail-type", List.of("Object Created"),
                        "detail", Map.of(
                                "bucket", Map.of("name", List.of(Match.anyValue())),
                                "object", Map.of("key", List.of(Map.of("wildcard", "mnist/inbox/*/_READY"))))),
                "Targets", List.of(Match.objectLike(Map.of("Input", inbox))))));
        assertThat(JSON.readTree(inbox.asString()).path("request").path("reason").asText()).isEqualTo("inbox");
        // The artifacts bucket sends its object events to EventBridge for that rule to see.
        synth.template(synth.stacks.foundation()).hasResourceProperties("Custom::S3BucketNotifications",
                Match.objectLike(Map.of("NotificationConfiguration", Map.of("EventBridgeConfiguration", Map.of()))));
    }

    private static String onlyLogicalId(String type, Map<String, Object> properties) {
        Map<String, Map<String, Object>> found = pipeline.findResources(type,
                Map.of("Properties", Match.objectLike(properties)));
        assertThat(found).as(type + " " + properties).hasSize(1);
        return found.keySet().iterator().next();
    }
}
