package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.pipeline.PipelineLock;

/** `mnist retrain` end to end on real MNIST: promote, skip, lock, schedule, one step, SIGKILL and resume. */
class RetrainCommandTest {
    private static final String[] CHAMPION = {"train", "--promote", "--architecture", "small", "--epochs", "2",
            "--batch-size", "64", "--max-train-images", "5000", "--validation-size", "500", "--augment", "0", "--lr",
            "0.005"};

    @TempDir
    Path home;

    private CliRunner.Result run(String... args) {
        CliRunner.Result r = new CliRunner(home).run(args);
        if (r.exitCode() != 0) {
            System.err.println(r.err());
        }
        return r;
    }

    @BeforeEach
    void champion() {
        assertThat(run(CHAMPION).exitCode()).isZero();
    }

    /** MNIST training images the champion never saw, with thicker strokes, cut by `mnist data sample`. */
    private Path batch(String name, int from, int count) {
        Path dir = home.resolve(name);
        var sampled = run("data", "sample", "--out", dir.toString(), "--from", Integer.toString(from), "--count",
                Integer.toString(count), "--shift", "thick", "--seed", "5");
        assertThat(sampled.exitCode()).as(sampled.err()).isZero();
        assertThat(dir.resolve("batch-images-idx3-ubyte")).isRegularFile();
        return dir;
    }

    @Test
    void retrainPromotesThenSkipsAndKeepsARecordOfEachRun() throws Exception {
        Path batch = batch("batch", 50_000, 2000);
        var first = run("retrain", "--source", batch.toString(), "--json");
        assertThat(first.exitCode()).as(first.err()).isZero();
        JsonNode record = Json.mapper().readTree(first.out());
        assertThat(record.get("outcome").asText()).isEqualTo("promoted");
        JsonNode shown = Json.mapper().readTree(run("models", "show", "production", "--json").out());
        assertThat(shown.get("version").asText()).isEqualTo("v2");
        assertThat(shown.get("parent").asText()).isEqualTo("v1");
        assertThat(shown.at("/provenance/pipeline.batches").asText()).isNotEmpty();

        var again = run("retrain", "--source", batch.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).contains("(skipped)").contains("no new labelled data");

        var runs = run("retrain", "runs");
        assertThat(runs.out().lines()).hasSize(2);
        assertThat(runs.out()).contains("promoted").contains("skipped");

        // One step, as a Step Functions task would run it: the state in, the step's output out.
        Path state = home.resolve("state.json");
        Files.writeString(state, Json.pretty(record.get("state")));
        var step = run("retrain", "step", "gate", "--state", state.toString(), "--run-id", "task-1");
        assertThat(step.exitCode()).as(step.err()).isZero();
        assertThat(Json.mapper().readTree(step.out()).get("passed").asBoolean()).isTrue();
        var unknown = run("retrain", "step", "nope", "--state", state.toString(), "--run-id", "t");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        // What a Step Functions task reports: the error in a Lambda function's shape, with the graph's name for it.
        JsonNode error = Json.mapper().readTree(unknown.out());
        assertThat(error.get("errorType").asText()).isEqualTo("mnist.StepError");
        assertThat(error.get("errorMessage").asText()).contains("unknown step 'nope'");

        // The Step Functions definition of the same graph, bound to one resource.
        var definition = run("retrain", "definition", "--resource", "arn:aws:lambda:eu-west-1:123456789012:function:s");
        JsonNode asl = Json.mapper().readTree(definition.out());
        assertThat(asl.get("StartAt").asText()).isEqualTo("ingest");
        assertThat(asl.at("/States/train/Resource").asText()).isEqualTo("arn:aws:lambda:eu-west-1:123456789012:function:s");
        assertThat(asl.at("/States/fall back to full retrain/ResultPath").asText()).isEqualTo("$.fallback");

        assertThat(run("models", "rollback").out()).contains("production -> v1");
    }

    @Test
    void aSecondRunIsRefusedWithItsOwnExitCodeAndTheScheduleKeepsGoing() {
        try (PipelineLock held = PipelineLock.acquire(home.resolve("pipeline/lock"))) {
            var busy = run("retrain");
            assertThat(busy.exitCode()).isEqualTo(ExitCodes.BUSY);
            assertThat(busy.err()).contains("another retraining run is in progress");
        }
        var scheduled = run("retrain", "--every", "1s", "--max-runs", "2");
        assertThat(scheduled.exitCode()).isZero();
        assertThat(scheduled.out().lines().filter(l -> l.startsWith("run ")).count()).isEqualTo(2);
        assertThat(run("retrain", "--every", "soon").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void aRetrainKilledDuringTrainingResumesAtTheTrainStep() throws Exception {
        Path batch = batch("big-batch", 44_000, 6000);
        Locations env = Locations.fromEnvironment();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), MnistCli.class.getName(), "retrain", "--source",
                batch.toString(), "--epochs", "4"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve("killed.log").toFile());
        builder.environment().put("MNIST_HOME", home.toString());
        builder.environment().put("MNIST_DATA_DIR", env.dataDir().toString());
        builder.environment().put("MNIST_CACHE_DIR", env.cacheDir().toString());
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Path checkpoint = null;
        while (checkpoint == null && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            checkpoint = firstCheckpoint(home.resolve("pipeline/work"));
        }
        assertThat(checkpoint).as("a training checkpoint; log: %s", home.resolve("killed.log")).isNotNull();
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks, no clean-up
        assertThat(Json.mapper().readTree(checkpoint.toFile()).get("epoch").asInt()).isLessThan(4);
        assertThat(run("models", "show", "production", "--json").out()).contains("\"version\" : \"v1\"");

        var resumed = run("retrain", "--json");
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("at step train (it was interrupted)").contains("resuming after epoch");
        JsonNode record = Json.mapper().readTree(resumed.out());
        assertThat(record.get("outcome").asText()).isIn("promoted", "rejected");
        assertThat(record.at("/state/train/epochs").asInt()).isEqualTo(4);
    }

    private static Path firstCheckpoint(Path work) throws Exception {
        if (!Files.isDirectory(work)) {
            return null;
        }
        try (var files = Files.walk(work)) {
            return files.filter(f -> f.getFileName().toString().equals("checkpoint.json")).findFirst().orElse(null);
        }
    }
}
