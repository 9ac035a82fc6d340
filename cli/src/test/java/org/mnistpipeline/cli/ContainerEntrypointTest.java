package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.pipeline.graph.StepErrors;
import org.mnistpipeline.registry.ModelPackage;

/**
 * Runs {@code docker/entrypoint.sh} itself, as the container would, against a temporary
 * /opt/ml-shaped tree and an /app-shaped tree whose jars are this test's own classpath: `train`
 * produces a model package, `serve` answers /ping for it (and `healthcheck` says so) and stops
 * cleanly on SIGTERM; SIGTERM stops `train` at a checkpoint that a second `train` resumes.
 */
class ContainerEntrypointTest {
    @TempDir
    Path tmp;

    private Path appHome() throws Exception {
        return ContainerTrees.appHome(tmp);
    }

    private ProcessBuilder entrypoint(Path app, Path optMl, String... args) {
        Path script = ContainerTrees.entrypoint();
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("entrypoint-" + args[0] + ".log").toFile());
        builder.environment().put("APP_HOME", app.toString());
        builder.environment().put("OPT_ML", optMl.toString());
        builder.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        builder.environment().put("MNIST_HOME", tmp.resolve("home").toString());
        Locations env = Locations.fromEnvironment();
        builder.environment().put("MNIST_CACHE_DIR", env.cacheDir().toString());
        return builder;
    }

    @Test
    void trainThenServeThroughTheContainerEntrypoint() throws Exception {
        Path app = appHome();
        Path optMl = tmp.resolve("opt/ml");
        Files.createDirectories(optMl.resolve("input/config"));
        Files.createDirectories(optMl.resolve("model"));
        Files.writeString(optMl.resolve("input/config/hyperparameters.json"), """
                {"architecture": "small", "epochs": "1", "batch-size": "64", "max-train-images": "4000",
                 "validation-size": "500", "augment": "0"}""");
        Path train = Files.createDirectories(optMl.resolve("input/data/train"));
        Path mnist = Locations.fromEnvironment().dataDir();
        for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")) {
            Files.createSymbolicLink(train.resolve(name), mnist.resolve(name));
        }

        Process training = entrypoint(app, optMl, "train").start();
        assertThat(training.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(training.exitValue()).as(Files.readString(tmp.resolve("entrypoint-train.log"))).isZero();
        ModelPackage pkg = ModelPackage.open(optMl.resolve("model"));
        assertThat(pkg.files()).contains("model.onnx");

        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        // The entrypoint binds 0.0.0.0 for SageMaker; later flags win, so the test stays on loopback.
        Process serving = entrypoint(app, optMl, "serve", "--host", "127.0.0.1", "--port", Integer.toString(port))
                .start();
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            int status = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (status != 200 && System.nanoTime() < deadline && serving.isAlive()) {
                try {
                    status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ping")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (java.io.IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertThat(status).as(Files.readString(tmp.resolve("entrypoint-serve.log"))).isEqualTo(200);
            String models = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(models).contains(pkg.manifest().version());
            assertThat(healthcheck(app, optMl, port)).as("healthcheck while serving").isZero();
        } finally {
            serving.destroy(); // SIGTERM, as SageMaker stops a container
            assertThat(serving.waitFor(40, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(serving.exitValue()).isZero();
        assertThat(healthcheck(app, optMl, port)).as("healthcheck once the server is gone").isNotZero();
    }

    private int healthcheck(Path app, Path optMl, int port) throws Exception {
        Process check = entrypoint(app, optMl, "healthcheck", Integer.toString(port)).start();
        assertThat(check.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return check.exitValue();
    }

    @Test
    void sigtermStopsTrainingAtACheckpointThatTheNextRunResumes() throws Exception {
        Path app = appHome();
        Path optMl = tmp.resolve("opt/ml");
        Files.createDirectories(optMl.resolve("input/config"));
        Files.createDirectories(optMl.resolve("model"));
        Path checkpoints = Files.createDirectories(optMl.resolve("checkpoints"));
        Files.writeString(optMl.resolve("input/config/hyperparameters.json"), """
                {"architecture": "small", "epochs": "4", "batch-size": "64", "max-train-images": "1500",
                 "validation-size": "300", "augment": "0"}""");
        Path train = Files.createDirectories(optMl.resolve("input/data/train"));
        Path mnist = Locations.fromEnvironment().dataDir();
        for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")) {
            Files.createSymbolicLink(train.resolve(name), mnist.resolve(name));
        }

        Process first = entrypoint(app, optMl, "train").start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(checkpoints.resolve("checkpoint.json")) && first.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(first.isAlive()).as("still training after its first checkpoint").isTrue();
        first.destroy(); // SIGTERM, as SageMaker stops a job or a spot instance goes
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String firstLog = Files.readString(tmp.resolve("entrypoint-train.log"));
        assertThat(first.exitValue()).as(firstLog).isEqualTo(SageMakerTrainCommand.STOPPED);
        assertThat(firstLog).contains("training stopped by SIGTERM");
        int stoppedAfter = Json.read(checkpoints.resolve("checkpoint.json"), Map.class).get("epoch") instanceof Number n
                ? n.intValue() : -1;
        assertThat(stoppedAfter).isBetween(1, 3);
        assertThat(optMl.resolve("output/failure")).as("a stop is not a failure").doesNotExist();
        assertThat(optMl.resolve("model/manifest.json")).doesNotExist();

        Process second = entrypoint(app, optMl, "train").start();
        assertThat(second.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String secondLog = Files.readString(tmp.resolve("entrypoint-train.log"));
        assertThat(second.exitValue()).as(secondLog).isZero();
        assertThat(secondLog).contains("resuming after epoch " + stoppedAfter);
        assertThat(secondLog.lines().filter(l -> l.startsWith("epoch=")).count()).isEqualTo(4 - stoppedAfter);
        assertThat(ModelPackage.open(optMl.resolve("model")).manifest().hyperparameters().epochs()).isEqualTo(4);
    }

    @Test
    void stepRunnerAnswersStepEventsUnderTheLambdaRuntimeClientWithTheGraphsErrorNames() throws Exception {
        Path app = appHome();
        Path batch = tmp.resolve("batch");
        org.mnistpipeline.data.Idx.write(batch, "batch", org.mnistpipeline.data.IdxDirectory
                .load(Locations.fromEnvironment().dataDir()).test().head(300));
        try (RuntimeApiStub api = new RuntimeApiStub()) {
            ProcessBuilder builder = entrypoint(app, tmp.resolve("opt/ml"), "step-runner");
            builder.environment().put("AWS_LAMBDA_RUNTIME_API", api.address());
            builder.environment().put("_HANDLER", "org.mnistpipeline.cli.StepRunnerHandler::handleRequest");
            builder.environment().put("LAMBDA_TASK_ROOT", tmp.toString());
            // What Lambda sets for every function.
            builder.environment().put("AWS_LAMBDA_FUNCTION_NAME", "mnist-pipeline-step");
            builder.environment().put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008");
            builder.environment().put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            builder.environment().put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/mnist-pipeline-step");
            builder.environment().put("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/03/[$LATEST]0123456789abcdef");
            builder.environment().put("AWS_REGION", "eu-west-1");
            builder.directory(tmp.toFile());
            Process runner = builder.start();
            try {
                var ingested = api.invoke("""
                        {"step": "ingest", "runId": "exec_1", "state": {"request": {"sources": ["%s"]}}}"""
                        .formatted(batch), 120);
                String log = Files.readString(tmp.resolve("entrypoint-step-runner.log"));
                assertThat(ingested).as(log).isNotNull();
                assertThat(ingested.kind()).as(ingested.body()).isEqualTo("response");
                var output = Json.mapper().readTree(ingested.body());
                assertThat(output.path("newImages").asInt()).isEqualTo(300);
                assertThat(output.at("/batches/0/accepted").asInt()).isEqualTo(300);
                assertThat(tmp.resolve("home/datastore")).isDirectory();

                var missing = api.invoke("""
                        {"step": "ingest", "runId": "exec_1", "state": {"request": {"sources": ["%s"]}}}"""
                        .formatted(tmp.resolve("nowhere")), 60);
                assertThat(missing.kind()).isEqualTo("error");
                var error = Json.mapper().readTree(missing.body());
                assertThat(error.path("errorType").asText()).isEqualTo(StepErrors.DATA);
                assertThat(error.path("errorMessage").asText()).contains("is not a directory");

                var malformed = api.invoke("{\"step\": \"ingest\"}", 60);
                assertThat(malformed.kind()).isEqualTo("error");
                assertThat(Json.mapper().readTree(malformed.body()).path("errorType").asText())
                        .isEqualTo(StepErrors.STEP);
            } finally {
                runner.destroy();
                runner.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void stepRunnerRefusesToStartOutsideLambda() throws Exception {
        Process runner = entrypoint(appHome(), tmp.resolve("opt/ml"), "step-runner").start();
        assertThat(runner.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.exitValue()).isEqualTo(2);
        assertThat(Files.readString(tmp.resolve("entrypoint-step-runner.log"))).contains("AWS_LAMBDA_RUNTIME_API");
    }
}
