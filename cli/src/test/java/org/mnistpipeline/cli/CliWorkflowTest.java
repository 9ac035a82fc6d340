package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;

/** The CLI end to end on real MNIST subsets: train, register, promote, evaluate, roll back, resume. */
class CliWorkflowTest {
    private static final String[] QUICK = {"--architecture", "small", "--epochs", "2", "--batch-size", "64", "--max-train-images", "5000",
            "--validation-size", "500", "--augment", "0", "--lr", "0.005"};

    @TempDir
    Path home;

    private CliRunner.Result run(String... args) {
        CliRunner.Result r = new CliRunner(home).run(args);
        if (r.exitCode() != 0) {
            System.err.println(r.err());
        }
        return r;
    }

    private static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(List.of(base));
        all.addAll(0, List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void trainRegisterPromoteEvaluateAndRollBack() throws Exception {
        var first = run(with(QUICK, "train", "--json"));
        assertThat(first.exitCode()).isZero();
        JsonNode summary = Json.mapper().readTree(first.out().substring(first.out().indexOf('{')));
        assertThat(summary.get("version").asText()).isEqualTo("v1");
        assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.93);
        assertThat(Path.of(summary.get("report").asText())).isRegularFile();
        assertThat(first.out()).containsPattern("epoch=1 train_loss=\\d\\.\\d{4} ");
        assertThat(home.resolve("registry/models/v1/model.onnx")).isRegularFile();
        assertThat(home.resolve("registry/models/v1/baseline.json")).isRegularFile();
        var monitor = run("monitor", "--model", "v1");
        assertThat(monitor.exitCode()).as("nothing served yet").isEqualTo(ExitCodes.INSUFFICIENT_DATA);
        assertThat(monitor.out()).contains("baseline: test set (10000 images), 10000 predictions");
        assertThat(run("models", "export", "v1").out()).contains("already has model.onnx");

        assertThat(run("models", "promote", "v1").out()).contains("production -> v1");
        var second = run(with(QUICK, "train", "--promote", "--seed", "2"));
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).contains("model v2").contains("promoted to production");

        var list = run("models", "list");
        assertThat(list.out()).containsPattern("v1 .*\\n").containsPattern("v2 .* production");
        var shown = Json.mapper().readTree(run("models", "show", "production", "--json").out());
        assertThat(shown.get("version").asText()).isEqualTo("v2");
        assertThat(shown.at("/data/fingerprint/sha256").asText()).hasSize(64);
        assertThat(shown.at("/architecture/layers/1/type").asText()).isEqualTo("conv2d");
        assertThat(shown.at("/provenance/djl").asText()).isEqualTo("0.36.0");

        Path reportDir = home.resolve("eval-report");
        var eval = run("evaluate", "production", "--out", reportDir.toString(), "--json");
        assertThat(eval.exitCode()).isZero();
        assertThat(Json.mapper().readTree(eval.out()).get("test_accuracy").asDouble())
                .isEqualTo(shown.at("/metrics/test_accuracy").asDouble());
        assertThat(reportDir.resolve("report.html")).isRegularFile();
        assertThat(reportDir.resolve("metrics.json")).isRegularFile();

        var refused = run("models", "delete", "v2");
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.MODEL);
        assertThat(refused.err()).contains("production");

        assertThat(run("models", "rollback").out()).contains("production -> v1");
        assertThat(Json.mapper().readTree(run("models", "show", "production", "--json").out()).get("version").asText())
                .isEqualTo("v1");
        assertThat(run("models", "delete", "v2").exitCode()).isZero();
        assertThat(run("models", "show", "v2").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void tamperedPackageIsRefusedWithAClearError() throws Exception {
        assertThat(run(with(QUICK, "train")).exitCode()).isZero();
        Path weights = home.resolve("registry/models/v1/weights.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 3] ^= 0x40;
        Files.write(weights, bytes);

        var r = run("models", "show", "v1");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.MODEL);
        assertThat(r.err()).contains("weights.safetensors").contains("checksum");
    }

    @Test
    void demoRunsTheWholeJobAndPromotes() throws Exception {
        var r = run("demo", "--json", "--epochs", "2", "--batch-size", "64", "--max-train-images", "6000", "--validation-size", "500");
        assertThat(r.exitCode()).isZero();
        JsonNode summary = Json.mapper().readTree(r.out().substring(r.out().indexOf("{\n")));
        assertThat(summary.get("alias").asText()).isEqualTo("production");
        assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.93);
        assertThat(run("models", "show", "production").out()).contains("version       v1");
    }

    @Test
    void trainingProcessKilledMidRunResumesAndRegistersAValidModel() throws Exception {
        Path runDir = home.resolve("run");
        Locations env = Locations.fromEnvironment();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), MnistCli.class.getName()));
        String[] args = {"train", "--run-dir", runDir.toString(), "--architecture", "small", "--epochs", "4",
                "--max-train-images", "12000", "--validation-size", "1000", "--augment", "0"};
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve("killed.log").toFile());
        builder.environment().put("MNIST_HOME", home.toString());
        builder.environment().put("MNIST_DATA_DIR", env.dataDir().toString());
        builder.environment().put("MNIST_CACHE_DIR", env.cacheDir().toString());
        Process process = builder.start();
        Path pointer = runDir.resolve("checkpoint.json");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(pointer) && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(pointer).as("first checkpoint written; log: %s", home.resolve("killed.log")).exists();
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks, no clean-up
        int epochsBeforeKill = Json.mapper().readTree(pointer.toFile()).get("epoch").asInt();
        assertThat(epochsBeforeKill).as("killed mid-way").isLessThan(4);
        assertThat(home.resolve("registry/models")).doesNotExist();

        List<String> resume = new ArrayList<>(List.of(args));
        resume.add("--resume");
        var r = run(resume.toArray(String[]::new));
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).contains("resuming after epoch " + epochsBeforeKill);
        assertThat(Files.readAllLines(runDir.resolve("metrics.jsonl"))).hasSize(4);
        var shown = Json.mapper().readTree(run("models", "show", "v1", "--json").out());
        assertThat(shown.at("/metrics/epochs_trained").asDouble()).isEqualTo(4);
        assertThat(shown.at("/metrics/test_accuracy").asDouble()).isGreaterThan(0.95);
    }

    @Test
    void exportAddsOnnxToAPackageRegisteredWithoutIt() throws Exception {
        Path staged = home.resolve("old-package");
        Files.createDirectories(staged);
        for (String name : List.of("manifest.json", "weights.safetensors")) {
            try (var in = getClass().getResourceAsStream("/fixtures/small-v1/" + name)) {
                Files.copy(in, staged.resolve(name));
            }
        }
        new org.mnistpipeline.registry.LocalModelRegistry(home.resolve("registry")).register(staged);
        assertThat(home.resolve("registry/models/v1/model.onnx")).doesNotExist();

        var r = run("models", "export", "v1");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("exported");
        assertThat(home.resolve("registry/models/v1/model.onnx")).isRegularFile();
        assertThat(run("models", "show", "v1").exitCode()).as("package still verifies").isZero();
    }

    @Test
    void int8QuantizationReportsSizeAndAccuracyAndIsGated() throws Exception {
        var accepted = run(with(QUICK, "train", "--quantize", "int8", "--json"));
        assertThat(accepted.exitCode()).isZero();
        JsonNode summary = Json.mapper().readTree(accepted.out().substring(accepted.out().indexOf('{')));
        assertThat(summary.get("int8_size_ratio").asDouble()).isGreaterThan(3);
        assertThat(summary.get("int8_accuracy_change_points").asDouble()).isBetween(-0.1, 0.5);
        assertThat(home.resolve("registry/models/v1/model-int8.onnx")).isRegularFile();

        // A tolerance no model can meet: the gate refuses and nothing new is registered.
        var refused = run(with(QUICK, "train", "--quantize", "int8", "--quantize-tolerance", "-1"));
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.GATE);
        assertThat(refused.err()).contains("int8 quantization loses").contains("not registered");
        assertThat(home.resolve("registry/models/v2")).doesNotExist();

        assertThat(run("train", "--quantize", "int4").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void tuneScoresTrialsOnValidationAndSavesAReusablePreset() throws Exception {
        Path out = home.resolve("tune");
        var r = run("tune", "--architecture", "small", "--trials", "2", "--trial-epochs", "1", "--trial-images", "3000",
                "--validation-size", "500", "--out", out.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("TRIAL").contains("best:").contains("VAL ACC");
        assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(3).first().asString().startsWith("trial,lr");
        var preset = Json.mapper().readTree(out.resolve("best-preset.json").toFile());
        assertThat(preset.get("architecture").asText()).isEqualTo("small");
        assertThat(preset.get("maxTrainImages").asInt()).as("the preset trains on everything").isZero();
        // The preset is reusable as-is by train.
        var trained = run("train", "--preset", out.resolve("best-preset.json").toString(), "--epochs", "1",
                "--max-train-images", "3000");
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        assertThat(trained.out()).contains("model v1 (small)");
    }
}
