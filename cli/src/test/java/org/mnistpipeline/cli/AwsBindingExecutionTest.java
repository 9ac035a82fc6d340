package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.pipeline.PipelineRunner;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.aws.AwsBinding;
import org.mnistpipeline.pipeline.aws.AwsTargets;
import org.mnistpipeline.pipeline.aws.Guardrails;
import org.mnistpipeline.pipeline.aws.TrainingJobs;
import org.mnistpipeline.pipeline.steps.PackageModelStep;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelPackage;

/**
 * The state machine the Pipeline stack deploys ({@link AwsBinding#definition}, the graph bound to AWS), validated by
 * {@code asl-validator} and executed by {@code aws-local-stepfunctions} with each Task's resource stood in for by
 * real work where it matters ({@code stepfunctions/execute-aws.mjs}): the step-runner function is the real
 * {@link StepRunnerHandler} in one child JVM under AWS's Lambda runtime interface client, started through the
 * container's {@code step-runner} entry; {@code createTrainingJob.sync} runs the container's {@code train} entry
 * ({@code mnist sagemaker-train}) on an /opt/ml tree built from the request's channels; the SDK calls of the
 * deployment are recorded and answered by an in-memory account whose endpoint can be told to roll an update back.
 *
 * <p>MNIST_HOME is a local directory: the one setting that says where the registry, data store and channels live.
 * On real MNIST (a champion trained on 5,000 images), an incremental run promotes and deploys, with the same
 * registry as the local runner leaves; a run that falls back to a full retrain (a second training job) and whose
 * endpoint update the guardrails roll back ends with the registry's alias rolled back; a second concurrent
 * execution does nothing.
 */
class AwsBindingExecutionTest {
    static final String STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:mnist-pipeline-retrain";
    static final AwsTargets TARGETS = new AwsTargets(
            "arn:aws:lambda:eu-west-1:123456789012:function:mnist-pipeline-step", "s3://artifacts/mnist",
            new AwsTargets.Training("123456789012.dkr.ecr.eu-west-1.amazonaws.com/mnist-pipeline@sha256:"
                    + "0123456789abcdef".repeat(4), "arn:aws:iam::123456789012:role/mnist-training", "ml.m5.xlarge", 10,
                    7200, 14400),
            new AwsTargets.Endpoint("mnist-pipeline", "AllTraffic", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/"
                    + "mnist-pipeline@sha256:" + "0123456789abcdef".repeat(4), "arn:aws:iam::123456789012:role/mnist-model",
                    "ml.c5.large", 2, Guardrails.canary(List.of("mnist-pipeline-5xx", "mnist-pipeline-p99-latency"))),
            new AwsTargets.Function("mnist-pipeline-predict", "live"), "/mnist-pipeline/production/model-data-url");
    static final String INITIAL_CONFIG = "mnist-pipeline-initial";

    @TempDir
    static Path shared;
    static StepFunctionsEngine engine;
    static Path definition;

    @TempDir
    Path tmp;

    @BeforeAll
    static void engineAndDefinition() throws Exception {
        engine = StepFunctionsEngine.installed();
        definition = shared.resolve("retrain-aws.asl.json");
        Files.writeString(definition, Json.pretty(AwsBinding.definition(TARGETS)));
    }

    @Test
    void theAwsBoundDefinitionPassesAslValidator() throws IOException {
        var verdict = engine.validate(definition);
        assertThat(verdict.exitCode()).as(verdict.out()).isZero();
        // A broken definition is refused, so the check above can fail.
        ObjectNode broken = AwsBinding.definition(TARGETS);
        ((ObjectNode) broken.at("/States/" + AwsBinding.STAGE)).put("Next", "nowhere");
        Path file = tmp.resolve("broken.json");
        Files.writeString(file, Json.pretty(broken));
        assertThat(engine.validate(file).exitCode()).isNotZero();
    }

    @Test
    void anIncrementalRunTrainsAsATrainingJobPromotesAndDeploysTheNewVersionEverywhere() throws Exception {
        Path home = RetrainFixture.championIn(tmp.resolve("home"));
        Path batch = RetrainFixture.batch(tmp.resolve("batch"), 50_000, 2000, "thick");
        RetrainRequest request = RetrainRequest.builder().sources(List.of(batch.toString())).reason("scheduled")
                .tolerancePoints(1.0).build();
        Path localHome = Files.createDirectories(tmp.resolve("local"));
        org.mnistpipeline.io.FileTrees.copy(home, localHome);

        JsonNode run = execute(home, request, "Scheduled_2026-12-03T06.00", Map.of());

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("SUCCEEDED");
        assertThat(run.at("/output/notify/outcome").asText()).isEqualTo("promoted");
        assertThat(steps(run)).containsExactly("ingest", "validate", "decide", "stage-training", "collect-training",
                "evaluate", "gate", "register", "promote", "package-model", "notify");
        assertThat(actions(run)).containsExactly("sfn:listExecutions", "sagemaker:createTrainingJob",
                "sagemaker:describeEndpoint", "sagemaker:createModel", "sagemaker:createEndpointConfig",
                "sagemaker:updateEndpoint", "sagemaker:describeEndpoint", "sagemaker:describeEndpoint",
                "lambda:getFunctionConfiguration", "lambda:getAlias", "lambda:updateFunctionConfiguration",
                "lambda:getFunctionConfiguration", "lambda:getFunctionConfiguration", "lambda:publishVersion",
                "lambda:getFunctionConfiguration", "lambda:getFunctionConfiguration", "lambda:updateAlias",
                "ssm:putParameter");

        // The training job: a valid name new to this attempt, managed spot with checkpoints, the staged plan.
        JsonNode job = call(run, "sagemaker:createTrainingJob");
        String jobName = job.get("TrainingJobName").asText();
        assertThat(jobName).matches("mnist-inc-scheduled-2026-12-03t06-00-[0-9a-f]{8}").hasSizeLessThanOrEqualTo(63);
        assertThat(job.get("EnableManagedSpotTraining").asBoolean()).isTrue();
        assertThat(Path.of(job.at("/CheckpointConfig/S3Uri").asText()).resolve("checkpoint.json")).exists();
        assertThat(job.at("/InputDataConfig/0/DataSource/S3DataSource/S3Uri").asText())
                .isEqualTo(home.resolve(TrainingJobs.JOBS).resolve(jobName).resolve("train").toString());
        assertThat(job.get("HyperParameters")).isEqualTo(run.at("/output/trainingJob/hyperparameters"));
        assertThat(job.get("HyperParameters").get("epochs").asText()).isEqualTo("3");
        assertThat(run.at("/output/train/artifact").asText()).endsWith(jobName + "/output/model.tar.gz");

        // The registry: as the local runner leaves it from the same home and request, to the accuracy.
        LocalModelRegistry registry = new LocalModelRegistry(home.resolve("registry"));
        ModelManifest v2 = registry.get("v2").manifest();
        assertThat(v2.parent()).isEqualTo("v1");
        assertThat(v2.provenance()).containsEntry("pipeline.mode", "incremental")
                .containsEntry("pipeline.run", "Scheduled_2026-12-03T06.00");
        assertThat(registry.alias("production")).contains("v2");
        RunRecord local = local(localHome, request);
        assertThat(local.outcome()).isEqualTo("promoted");
        ModelManifest localV2 = new LocalModelRegistry(localHome.resolve("registry")).get("v2").manifest();
        for (String metric : List.of("test_accuracy", "test_log_loss", "validation_accuracy", "epochs_trained")) {
            assertThat(v2.metrics().get(metric)).as(metric).isEqualTo(localV2.metrics().get(metric));
        }
        assertThat(v2.hyperparameters()).isEqualTo(localV2.hyperparameters());

        // The endpoint: a new model from the packaged version, updated with the guardrails, running the new config.
        JsonNode release = run.at("/output/deploy/release");
        String modelName = release.get("modelName").asText();
        JsonNode account = run.get("account");
        assertThat(account.at("/endpoint/config").asText()).isEqualTo(modelName);
        Path archive = home.resolve(TrainingJobs.MODELS).resolve("v2/model.tar.gz");
        assertThat(account.at("/models/" + modelName + "/PrimaryContainer/ModelDataUrl").asText())
                .isEqualTo(archive.toString());
        assertThat(account.at("/models/" + modelName + "/ExecutionRoleArn").asText())
                .isEqualTo(TARGETS.endpoint().modelRole());
        assertThat(call(run, "sagemaker:updateEndpoint").get("DeploymentConfig"))
                .isEqualTo(TARGETS.endpoint().guardrails().deploymentConfig());
        Path unpacked = untar(archive, tmp.resolve("opt-ml-model"));
        ModelPackage served = ModelPackage.open(unpacked);
        assertThat(served.manifest().version()).isEqualTo("v2");
        assertThat(served.files()).contains(ModelPackage.ONNX);
        // The function: its own variables kept, the version pinned, published, and the alias moved to it.
        assertThat(account.at("/function/variables")).isEqualTo(Json.mapper().valueToTree(Map.of(
                "MNIST_HOME", "s3://artifacts/mnist", "MNIST_MODEL_ALIAS", "production", "JAVA_TOOL_OPTIONS",
                "-XX:TieredStopAtLevel=1", PackageModelStep.FUNCTION_MODEL_VERSION, "v2")));
        assertThat(account.at("/function/alias").asText()).isEqualTo("2");
        assertThat(account.at("/function/versions/2/variables/" + PackageModelStep.FUNCTION_MODEL_VERSION).asText())
                .isEqualTo("v2");
        // The parameter the Serving stack deploys from.
        assertThat(account.at("/parameters").get(TARGETS.modelParameter()).asText()).isEqualTo(archive.toString());
    }

    @Test
    void aFallbackTrainsAsASecondJobAndARolloutTheGuardrailsRollBackEndsWithTheRegistryAliasRolledBack()
            throws Exception {
        Path home = RetrainFixture.championIn(tmp.resolve("home"));
        // As StepFunctionsExecutionTest's fallback: the incremental challenger fails the gate, the full one passes.
        Path batch = RetrainFixture.relabelledBatch(tmp.resolve("batch"), 52_000, 2000, "thick:2+slant:30");
        RetrainRequest request = RetrainRequest.builder().sources(List.of(batch.toString())).reason("inbox")
                .replayRatio(0.0).learningRateScale(1.0).tolerancePoints(15.0).build();

        JsonNode run = execute(home, request, "inbox_batch_7", Map.of("failEndpointUpdate", true));

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("FAILED");
        assertThat(run.path("error").asText()).isEqualTo("RolloutFailed");
        assertThat(steps(run)).containsExactly("ingest", "validate", "decide", "stage-training", "collect-training",
                "evaluate", "gate", "stage-training", "collect-training", "evaluate", "gate", "register", "promote",
                "package-model", "rollback");
        // The fallback re-entered train through its staging: a second job under a new name.
        List<String> jobs = new ArrayList<>();
        run.path("calls").forEach(c -> {
            if (c.path("action").asText().equals("sagemaker:createTrainingJob")) {
                jobs.add(c.at("/parameters/TrainingJobName").asText());
            }
        });
        assertThat(jobs).hasSize(2);
        assertThat(jobs.get(0)).matches("mnist-inc-inbox-batch-7-[0-9a-f]{8}");
        assertThat(jobs.get(1)).matches("mnist-full-inbox-batch-7-[0-9a-f]{8}");

        JsonNode rollback = task(run, "rollback").get("output");
        assertThat(rollback.get("rolledBack").asBoolean()).isTrue();
        assertThat(rollback.get("from").asText()).isEqualTo("v2");
        assertThat(rollback.get("to").asText()).isEqualTo("v1");
        assertThat(rollback.get("reason").asText()).startsWith("mnist.RolloutFailed: endpoint mnist-pipeline is"
                + " InService on config " + INITIAL_CONFIG + ", not on mnist-v2-");

        LocalModelRegistry registry = new LocalModelRegistry(home.resolve("registry"));
        assertThat(registry.alias("production")).contains("v1");
        assertThat(registry.history("production").getLast().reason()).isEqualTo("rollback");
        assertThat(registry.list()).extracting(ModelManifest::version).containsExactly("v1", "v2");
        assertThat(registry.get("v2").manifest().provenance()).containsEntry("pipeline.mode", "full");
        // The endpoint rolled itself back; the function and the parameter were never touched.
        JsonNode account = run.get("account");
        assertThat(account.at("/endpoint/config").asText()).isEqualTo(INITIAL_CONFIG);
        assertThat(account.at("/function/alias").asText()).isEqualTo("1");
        assertThat(account.at("/function/versions").size()).isEqualTo(1);
        assertThat(account.get("parameters").isEmpty()).isTrue();
        assertThat(actions(run)).doesNotContain("lambda:updateFunctionConfiguration", "ssm:putParameter");
    }

    @Test
    void aSecondExecutionWhileOneIsRunningEndsWithoutRunningAStep() throws Exception {
        Path home = RetrainFixture.championIn(tmp.resolve("home"));
        RetrainRequest request = RetrainRequest.builder().reason("scheduled").force(true).build();

        JsonNode run = execute(home, request, "scheduled-2", Map.of("running", 2));

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("SUCCEEDED");
        assertThat(run.at("/output/concurrency/running").asInt()).isEqualTo(2);
        assertThat(run.at("/output/ingest").isMissingNode()).isTrue();
        assertThat(actions(run)).containsExactly("sfn:listExecutions");
        assertThat(call(run, "sfn:listExecutions").get("StateMachineArn").asText()).isEqualTo(STATE_MACHINE);
        assertThat(new LocalModelRegistry(home.resolve("registry")).list()).hasSize(1);
    }

    /** Executes the AWS-bound definition against MNIST_HOME {@code home}, with {@code account} settings overriding. */
    private JsonNode execute(Path home, RetrainRequest request, String executionName, Map<String, Object> account)
            throws Exception {
        Path app = ContainerTrees.appHome(tmp);
        Locations env = Locations.fromEnvironment();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The storage choice is this one variable: a directory here, s3://bucket/prefix on AWS.
        Map<String, String> common = Map.of("MNIST_HOME", home.toString(), "MNIST_CACHE_DIR", env.cacheDir().toString(),
                "MNIST_DATA_DIR", env.dataDir().toString(), "APP_HOME", app.toString(), "JAVA", java);
        Map<String, String> runner = new LinkedHashMap<>(common);
        runner.putAll(Map.of("_HANDLER", StepRunnerHandler.class.getName() + "::handleRequest",
                "LAMBDA_TASK_ROOT", tmp.toString(), "AWS_LAMBDA_FUNCTION_NAME", "mnist-pipeline-step",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008", "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/mnist-pipeline-step",
                "AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/03/[$LATEST]0123456789abcdef", "AWS_REGION", "eu-west-1",
                "STEP_JAVA_OPTS", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx1g"));
        Map<String, Object> fakeAccount = new LinkedHashMap<>();
        fakeAccount.put("running", 1);
        fakeAccount.put("failEndpointUpdate", false);
        fakeAccount.put("initialConfig", INITIAL_CONFIG);
        fakeAccount.put("endpoint", Map.of("name", TARGETS.endpoint().name(), "status", "InService",
                "config", INITIAL_CONFIG));
        Map<String, String> variables = Map.of("MNIST_HOME", "s3://artifacts/mnist", "MNIST_MODEL_ALIAS", "production",
                "JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1");
        fakeAccount.put("function", Map.of("variables", variables, "lastUpdateStatus", "Successful",
                "versions", Map.of("1", Map.of("variables", variables, "state", "Active")), "alias", "1"));
        for (String empty : List.of("models", "endpointConfigs", "trainingJobs", "parameters")) {
            fakeAccount.put(empty, Map.of());
        }
        fakeAccount.putAll(account);
        Map<String, Object> fake = Map.of("stepRunnerArn", TARGETS.stepRunner(), "stateMachineArn", STATE_MACHINE,
                "stepRunner", Map.of("command", List.of("bash", ContainerTrees.entrypoint().toString(), "step-runner"),
                        "env", runner),
                "train", Map.of("command", List.of("bash", ContainerTrees.entrypoint().toString(), "train"),
                        "env", common),
                "account", fakeAccount);
        JsonNode input = Json.mapper().createObjectNode().set("request", Json.mapper().valueToTree(request));
        return engine.execute("execute-aws.mjs", definition, input, executionName,
                Map.of("AWS_FAKE", Json.compact(fake)), tmp.resolve("engine"), 1500);
    }

    private static RunRecord local(Path home, RetrainRequest request) {
        Locations env = Locations.fromEnvironment();
        Context context = new Context(new Locations(env.cacheDir(), env.dataDir(), home),
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        PipelineRunner runner = RetrainCommand.runner(context, null, org.mnistpipeline.pipeline.DriftCheck.NONE);
        return runner.run(request);
    }

    /** The steps the step-runner function ran, in order. */
    private static List<String> steps(JsonNode run) {
        List<String> steps = new ArrayList<>();
        run.path("tasks").forEach(t -> {
            if (t.has("step")) {
                assertThat(t.path("status").asText()).as(t.toString()).isEqualTo("succeeded");
                steps.add(t.path("step").asText());
            }
        });
        return steps;
    }

    private static List<String> actions(JsonNode run) {
        List<String> actions = new ArrayList<>();
        run.path("calls").forEach(c -> actions.add(c.path("action").asText()));
        return actions;
    }

    private static JsonNode call(JsonNode run, String action) {
        for (JsonNode c : run.path("calls")) {
            if (c.path("action").asText().equals(action)) {
                return c.get("parameters");
            }
        }
        throw new AssertionError("no call of " + action + " in " + run.path("calls"));
    }

    private static JsonNode task(JsonNode run, String step) {
        for (JsonNode t : run.path("tasks")) {
            if (step.equals(t.path("step").asText())) {
                return t;
            }
        }
        throw new AssertionError("no step " + step + " in " + run.path("tasks"));
    }

    /** What SageMaker does with a model's {@code model.tar.gz}: unpacked into the model directory. */
    private static Path untar(Path archive, Path dir) throws Exception {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", dir.toString()).redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        return dir;
    }
}
