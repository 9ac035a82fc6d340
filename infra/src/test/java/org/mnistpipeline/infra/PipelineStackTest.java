package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.aws.AwsBinding;
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
    void theDeployedDefinitionIsThePipelinesGraphBoundToAwsAsTheBindingRendersIt() throws Exception {
        JsonNode deployed = deployedDefinition();
        JsonNode expected = JSON.readTree(PipelineStack.definition(PipelineStack.targets(Synth.settings(),
                "STEP-RUNNER", "s3://ARTIFACTS-BUCKET/mnist", "TRAINING-ROLE", "MODEL-ROLE")));
        assertThat(deployed).isEqualTo(expected);
        // The same binding the CLI module's AwsBindingExecutionTest executes: the graph's states and its own.
        assertThat(deployed.at("/States/train/Resource").asText())
                .isEqualTo("arn:aws:states:::sagemaker:createTrainingJob.sync");
        assertThat(deployed.at("/States/train/Parameters/RoleArn").asText()).isEqualTo("TRAINING-ROLE");
        assertThat(deployed.at("/States/train/Parameters/AlgorithmSpecification/TrainingImage").asText())
                .isEqualTo(Synth.IMAGE);
        assertThat(deployed.at("/States/ingest/Resource").asText()).isEqualTo("STEP-RUNNER");
        assertThat(deployed.at("/StartAt").asText()).isEqualTo(AwsBinding.CHECK_RUNNING);
    }

    @Test
    void theStateMachineMayPassExactlyTheTrainingAndModelRolesAndOnlyToSageMaker() {
        String trainingRole = trainingRole();
        List<Map<?, ?>> passRole = stateMachineStatements().stream()
                .filter(s -> String.valueOf(s.get("Action")).contains("iam:PassRole")).toList();
        assertThat(passRole).hasSize(2);
        assertThat(passRole).allSatisfy(s -> {
            assertThat(s.get("Action")).isEqualTo("iam:PassRole");
            assertThat(s.get("Condition")).isEqualTo(Map.of("StringEquals",
                    Map.of("iam:PassedToService", "sagemaker.amazonaws.com")));
        });
        assertThat(passRole.get(0).get("Resource")).isEqualTo(Map.of("Fn::GetAtt", List.of(trainingRole, "Arn")));
        assertThat(String.valueOf(passRole.get(1).get("Resource")))
                .matches("\\{Fn::ImportValue=MnistServing:ExportsOutputFnGetAttModelExecutionRole[A-Za-z0-9]+Arn[A-Za-z0-9]+}");
        // No other iam:PassRole anywhere in the app.
        for (var stack : List.of(synth.stacks.foundation(), synth.stacks.serving(), synth.stacks.edge(),
                synth.stacks.observability())) {
            assertThat(synth.template(stack).toJSON().toString()).doesNotContain("iam:PassRole");
        }
        assertThat(pipeline.toJSON().toString().split("iam:PassRole", -1)).hasSize(3);
    }

    @Test
    void theStateMachineMayCallExactlyWhatItsTaskStatesCallEachOnItsOwnResources() throws Exception {
        Map<String, List<String>> granted = new TreeMap<>();
        for (Map<?, ?> statement : stateMachineStatements()) {
            Object actions = statement.get("Action");
            for (Object action : actions instanceof List<?> list ? list : List.of(actions)) {
                Object resources = statement.get("Resource");
                for (Object resource : resources instanceof List<?> list ? list : List.of(resources)) {
                    granted.computeIfAbsent(String.valueOf(action), a -> new ArrayList<>()).add(arn(resource));
                }
            }
        }
        // What the definition's SDK integrations call, as IAM actions.
        Set<String> called = new TreeSet<>();
        deployedDefinition().path("States").forEach(state -> {
            String resource = state.path("Resource").asText();
            if (resource.startsWith("arn:aws:states:::aws-sdk:")) {
                String[] serviceAction = resource.substring("arn:aws:states:::aws-sdk:".length()).split(":");
                String service = serviceAction[0].equals("sfn") ? "states" : serviceAction[0];
                called.add(service + ":" + Character.toUpperCase(serviceAction[1].charAt(0))
                        + serviceAction[1].substring(1));
            }
        });
        Set<String> deployActions = new TreeSet<>(granted.keySet());
        deployActions.removeIf(a -> a.startsWith("xray:") || a.startsWith("logs:") || a.startsWith("events:")
                || a.equals("iam:PassRole") || a.equals("lambda:InvokeFunction") || a.contains("TrainingJob")
                || a.equals("sagemaker:AddTags"));
        assertThat(deployActions).isEqualTo(called);

        String sm = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:";
        String fn = "arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:mnist-pipeline-predict";
        assertThat(granted).containsEntry("sagemaker:CreateModel", List.of(sm + "model/mnist-*"))
                .containsEntry("sagemaker:CreateEndpointConfig", List.of(sm + "endpoint-config/mnist-*"))
                // Forward to a config it created, back to whichever the endpoint ran (CloudFormation's, first time).
                .containsEntry("sagemaker:UpdateEndpoint", List.of(sm + "endpoint/mnist-pipeline",
                        sm + "endpoint-config/*"))
                .containsEntry("sagemaker:DescribeEndpoint", List.of(sm + "endpoint/mnist-pipeline"))
                .containsEntry("lambda:UpdateFunctionConfiguration", List.of(fn))
                .containsEntry("lambda:PublishVersion", List.of(fn))
                .containsEntry("lambda:GetFunctionConfiguration", List.of(fn, fn + ":*"))
                .containsEntry("lambda:GetAlias", List.of(fn, fn + ":live"))
                .containsEntry("lambda:UpdateAlias", List.of(fn, fn + ":live"))
                .containsEntry("ssm:PutParameter", List.of("arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:"
                        + "parameter/mnist-pipeline/production/model-data-url"))
                .containsEntry("states:ListExecutions", List.of("arn:<AWS::Partition>:states:<AWS::Region>:"
                        + "<AWS::AccountId>:stateMachine:mnist-pipeline-retrain"));
        assertThat(granted.keySet()).noneMatch(a -> a.endsWith(":*"));
    }

    @Test
    void theEndpointUpdateCarriesTheServingStacksGuardrailsAndItsAlarms() throws Exception {
        JsonNode deployed = deployedDefinition().at("/States/deploy: update endpoint/Parameters");
        assertThat(deployed.path("EndpointName").asText()).isEqualTo("mnist-pipeline");
        JsonNode config = deployed.path("DeploymentConfig");
        Capture served = new Capture();
        synth.template(synth.stacks.serving()).hasResourceProperties("AWS::SageMaker::Endpoint",
                Match.objectLike(Map.of("DeploymentConfig", served)));
        JsonNode serving = JSON.valueToTree(served.asObject());
        assertThat(config.path("BlueGreenUpdatePolicy")).isEqualTo(serving.path("BlueGreenUpdatePolicy"));
        List<String> alarms = new ArrayList<>();
        config.at("/AutoRollbackConfiguration/Alarms").forEach(a -> alarms.add(a.path("AlarmName").asText()));
        assertThat(alarms).containsExactly("mnist-pipeline-5xx", "mnist-pipeline-p99-latency");
        for (String alarm : alarms) {
            synth.template(synth.stacks.observability()).hasResourceProperties("AWS::CloudWatch::Alarm",
                    Match.objectLike(Map.of("AlarmName", alarm)));
        }
        assertThat(serving.at("/AutoRollbackConfiguration/Alarms").size()).isEqualTo(alarms.size());
    }

    @Test
    void trainingJobsReadOnlyTheirChannelsAndWriteOnlyTheirOutputAndCheckpoints() {
        Capture statements = new Capture();
        pipeline.hasResourceProperties("AWS::IAM::Role", Match.objectLike(Map.of(
                "Description", Match.stringLikeRegexp("SageMaker training jobs.*"),
                "Policies", List.of(Map.of("PolicyName", "train", "PolicyDocument",
                        Match.objectLike(Map.of("Statement", statements)))))));
        Map<String, List<String>> s3 = new TreeMap<>();
        for (Object o : statements.asArray()) {
            Map<?, ?> statement = (Map<?, ?>) o;
            Object actions = statement.get("Action");
            for (Object action : actions instanceof List<?> list ? list : List.of(actions)) {
                if (String.valueOf(action).startsWith("s3:")) {
                    Object resources = statement.get("Resource");
                    for (Object r : resources instanceof List<?> list ? list : List.of(resources)) {
                        s3.computeIfAbsent(String.valueOf(action), a -> new ArrayList<>())
                                .add(arn(r).replaceAll("^.*?(/|$)", "/"));
                    }
                }
            }
        }
        assertThat(s3).isEqualTo(Map.of(
                "s3:GetObject", List.of("/mnist/sagemaker/jobs/*", "/mnist/sagemaker/checkpoints/*"),
                "s3:PutObject", List.of("/mnist/sagemaker/jobs/*/output/*", "/mnist/sagemaker/checkpoints/*"),
                "s3:ListBucket", List.of("/")));
    }

    @Test
    void theStepRunnerIsTheImagesStepRunnerEntryWithMnistHomeInTheBucket() {
        pipeline.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
                "FunctionName", "mnist-pipeline-step",
                "PackageType", "Image",
                "ImageConfig", Map.of("Command", List.of("step-runner")),
                "Environment", Map.of("Variables", Map.of(
                        "MNIST_CACHE_DIR", "/tmp/mnist-cache",
                        "MNIST_HOME", Match.objectLike(Map.of("Fn::Join", List.of("", List.of("s3://",
                                Match.objectLike(Map.of("Fn::ImportValue", Match.stringLikeRegexp(
                                        "MnistFoundation:ExportsOutputRefArtifacts.*"))), "/mnist")))))))));
    }

    @Test
    void executionsAreLoggedInFullAndTraced() {
        pipeline.hasResourceProperties("AWS::StepFunctions::StateMachine", Match.objectLike(Map.of(
                "StateMachineType", "STANDARD",
                "TracingConfiguration", Map.of("Enabled", true),
                "LoggingConfiguration", Match.objectLike(Map.of("Level", "ALL", "IncludeExecutionData", true)))));
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
        JsonNode request = JSON.readTree(joined(scheduled.asObject())).path("request");
        assertThat(request.path("reason").asText()).isEqualTo("scheduled");
        // The inbox in the artifacts bucket, whose ready batches the run ingests.
        assertThat(request.path("inbox").asText()).isEqualTo("s3://<ref>/mnist/inbox");
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
        JsonNode inboxRequest = JSON.readTree(joined(inbox.asObject())).path("request");
        assertThat(inboxRequest.path("reason").asText()).isEqualTo("inbox");
        assertThat(inboxRequest.path("inbox").asText()).isEqualTo("s3://<ref>/mnist/inbox");
        // The artifacts bucket sends its object events to EventBridge for that rule to see.
        synth.template(synth.stacks.foundation()).hasResourceProperties("Custom::S3BucketNotifications",
                Match.objectLike(Map.of("NotificationConfiguration", Map.of("EventBridgeConfiguration", Map.of()))));
    }

    /** A target's Input as CloudFormation renders it ({@code Fn::Join} around the bucket's name), references as {@code <ref>}. */
    private static String joined(Map<String, Object> input) {
        @SuppressWarnings("unchecked")
        List<Object> join = (List<Object>) input.get("Fn::Join");
        StringBuilder out = new StringBuilder();
        for (Object part : (List<?>) join.get(1)) {
            out.append(part instanceof String text ? text : "<ref>");
        }
        return out.toString();
    }

    /** The synthesized definition with every reference into the app replaced by what the binding was given. */
    private static JsonNode deployedDefinition() throws Exception {
        Capture definition = new Capture();
        pipeline.hasResourceProperties("AWS::StepFunctions::StateMachine", Match.objectLike(Map.of(
                "StateMachineName", "mnist-pipeline-retrain",
                "DefinitionString", definition)));
        String stepRunner = onlyLogicalId("AWS::Lambda::Function", Map.of("FunctionName", "mnist-pipeline-step"));
        String trainingRole = trainingRole();
        StringBuilder joined = new StringBuilder();
        for (Object part : (List<?>) ((List<?>) ((Map<?, ?>) definition.asObject()).get("Fn::Join")).get(1)) {
            if (part instanceof String text) {
                joined.append(text);
            } else if (part.equals(Map.of("Fn::GetAtt", List.of(stepRunner, "Arn")))) {
                joined.append("STEP-RUNNER");
            } else if (part.equals(Map.of("Fn::GetAtt", List.of(trainingRole, "Arn")))) {
                joined.append("TRAINING-ROLE");
            } else if (String.valueOf(part).matches(
                    "\\{Fn::ImportValue=MnistServing:ExportsOutputFnGetAttModelExecutionRole\\w+Arn\\w+}")) {
                joined.append("MODEL-ROLE");
            } else if (String.valueOf(part).matches("\\{Fn::ImportValue=MnistFoundation:ExportsOutputRefArtifacts\\w+}")) {
                joined.append("ARTIFACTS-BUCKET");
            } else {
                throw new AssertionError("the definition refers to " + part + ", which the binding was not given");
            }
        }
        return JSON.readTree(joined.toString());
    }

    /** The one role in the stack that SageMaker assumes. */
    private static String trainingRole() {
        return onlyLogicalId("AWS::IAM::Role", Map.of("AssumeRolePolicyDocument", Match.objectLike(
                Map.of("Statement", List.of(Match.objectLike(Map.of("Principal",
                        Map.of("Service", "sagemaker.amazonaws.com"))))))));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<?, ?>> stateMachineStatements() {
        Capture statements = new Capture();
        pipeline.hasResourceProperties("AWS::IAM::Policy", Match.objectLike(Map.of(
                "PolicyName", Match.stringLikeRegexp("StateMachineRole.*"),
                "PolicyDocument", Match.objectLike(Map.of("Statement", statements)))));
        return (List<Map<?, ?>>) (List<?>) statements.asArray();
    }

    /** A resource as text: Fn::Join flattened, pseudo parameters as {@code <AWS::Region>}, other references named. */
    private static String arn(Object resource) {
        if (resource instanceof String s) {
            return s;
        }
        Map<?, ?> map = (Map<?, ?>) resource;
        if (map.containsKey("Fn::Join")) {
            StringBuilder out = new StringBuilder();
            ((List<?>) ((List<?>) map.get("Fn::Join")).get(1)).forEach(p -> out.append(arn(p)));
            return out.toString();
        }
        if (map.containsKey("Ref") && String.valueOf(map.get("Ref")).startsWith("AWS::")) {
            return "<" + map.get("Ref") + ">";
        }
        return String.valueOf(map);
    }

    private static String onlyLogicalId(String type, Map<String, Object> properties) {
        Map<String, Map<String, Object>> found = pipeline.findResources(type,
                Map.of("Properties", Match.objectLike(properties)));
        assertThat(found).as(type + " " + properties).hasSize(1);
        return found.keySet().iterator().next();
    }
}
