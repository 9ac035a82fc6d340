package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.pipeline.RunStore.StepRun;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelPackage;

/**
 * Every step but train runs without DJL: {@code mnist retrain step evaluate} and {@code register}
 * in a JVM whose class path has no DJL or PyTorch jar reproduce what a full local run recorded and
 * register the challenger, while {@code train} in the same JVM cannot even start.
 */
class StepsWithoutDjlTest {
    @TempDir
    Path home;

    @Test
    void evaluateAndRegisterRunInAJvmWithoutDjl() throws Exception {
        Dataset mnist = IdxDirectory.load(Locations.fromEnvironment().dataDir());
        Path base = home.resolve("base");
        Idx.writeDataset(base, mnist.train().head(3000), mnist.test().head(1000));
        Path champion = home.resolve("champion");
        CliRunner championCli = new CliRunner(champion);
        assertThat(championCli.run("train", "--promote", "--data", base.toString(), "--architecture", "small",
                "--epochs", "1", "--validation-size", "300", "--augment", "0").exitCode()).isZero();
        Path withRun = copyOf(champion, home.resolve("with-run"));
        Path batch = home.resolve("batch");
        Idx.write(batch, "batch", Shifts.apply(mnist.train().select(IntStream.range(40_000, 41_000).toArray()),
                "thick", 3));
        var run = new CliRunner(withRun).run("retrain", "--source", batch.toString(), "--min-new", "100",
                "--epochs", "1", "--tolerance", "100", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode record = Json.mapper().readTree(run.out());
        StepRun evaluate = step(record, "evaluate");
        StepRun register = step(record, "register");

        List<String> classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains(File.separator + "ai" + File.separator + "djl" + File.separator))
                .toList();
        assertThat(System.getProperty("java.class.path").split(File.pathSeparator).length - classPath.size())
                .as("DJL and PyTorch jars left out").isGreaterThanOrEqualTo(3);
        // The champion's registry (v1 only) and the ingested batch: what evaluate and register read.
        Path fresh = copyOf(champion, home.resolve("fresh"));
        copyOf(withRun.resolve("datastore"), fresh.resolve("datastore"));

        Result evaluated = step(fresh, classPath, "evaluate", evaluate.input());
        assertThat(evaluated.exitCode()).as(evaluated.log()).isZero();
        assertThat(evaluated.output().at("/challenger/originalTest").asDouble())
                .isEqualTo(evaluate.output().at("/challenger/originalTest").asDouble());
        assertThat(evaluated.output().at("/champion/newHoldout").asDouble())
                .isEqualTo(evaluate.output().at("/champion/newHoldout").asDouble());

        Result registered = step(fresh, classPath, "register", register.input());
        assertThat(registered.exitCode()).as(registered.log()).isZero();
        assertThat(registered.output().get("version").asText()).isEqualTo("v2");
        ModelPackage v2 = new LocalModelRegistry(fresh.resolve("registry")).get("v2");
        assertThat(v2.files()).contains("model.onnx", "baseline.json", "report/report.html", "weights.safetensors");
        assertThat(v2.manifest().metrics().get("test_accuracy"))
                .isEqualTo(evaluate.output().at("/challenger/originalTest").asDouble());
        assertThat(v2.manifest().provenance()).containsKey("djl").containsEntry("pipeline.mode", "incremental");

        Result train = step(fresh, classPath, "train", step(record, "train").input());
        assertThat(train.exitCode()).as("train needs DJL").isNotZero();
        assertThat(train.log()).contains("ai/djl");
    }

    private static StepRun step(JsonNode record, String name) {
        for (JsonNode s : record.get("steps")) {
            if (s.get("name").asText().equals(name)) {
                return Json.mapper().convertValue(s, StepRun.class);
            }
        }
        throw new AssertionError("no step " + name + " in " + record);
    }

    record Result(int exitCode, JsonNode output, String log) {}

    private Result step(Path mnistHome, List<String> classPath, String step, JsonNode state) throws Exception {
        Path stateFile = Files.writeString(home.resolve(step + ".state.json"), Json.pretty(state));
        Path out = home.resolve(step + ".out");
        Path log = home.resolve(step + ".log");
        Locations env = Locations.fromEnvironment();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-cp", String.join(File.pathSeparator, classPath),
                MnistCli.class.getName(), "--verbose", "retrain", "step", step, "--state", stateFile.toString(),
                "--run-id", "no-djl"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(log.toFile());
        builder.environment().put("MNIST_HOME", mnistHome.toString());
        builder.environment().put("MNIST_DATA_DIR", env.dataDir().toString());
        builder.environment().put("MNIST_CACHE_DIR", env.cacheDir().toString());
        Process process = builder.start();
        assertThat(process.waitFor(3, TimeUnit.MINUTES)).isTrue();
        String text = Files.readString(out);
        JsonNode output = text.isBlank() ? null : Json.mapper().readTree(text);
        return new Result(process.exitValue(), output, Files.readString(log));
    }

    private static Path copyOf(Path from, Path to) throws IOException {
        org.mnistpipeline.io.FileTrees.copy(from, to);
        return to;
    }
}
