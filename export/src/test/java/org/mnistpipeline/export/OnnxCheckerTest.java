package org.mnistpipeline.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Architectures;

/**
 * The ONNX project's own checker (with full shape inference) accepts every exported graph. ONNX
 * Runtime alone is lenient about some spec violations that stricter runtimes reject. Runs where
 * Debian's python3-onnx is installed ({@code apt-get install python3-onnx}); skipped elsewhere.
 */
class OnnxCheckerTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final String CHECK =
            "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)";

    @BeforeAll
    static void requireOnnxForPython() {
        String why = null;
        try {
            Result importOnnx = python(List.of(PYTHON, "-c", "import onnx"));
            if (importOnnx.exit() != 0) {
                why = PYTHON + " cannot import onnx (install python3-onnx): " + importOnnx.output().strip();
            }
        } catch (IOException e) {
            why = "cannot run " + PYTHON + ": " + e.getMessage();
        }
        if (why != null) {
            System.err.println("OnnxCheckerTest skipped: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
    }

    enum Model {
        SMALL_TRAINED, STRONG, REFERENCE;

        ArchitectureSpec spec() {
            int[] input = {1, 28, 28};
            return switch (this) {
                case SMALL_TRAINED -> TestModels.fixtureManifest().architecture();
                case STRONG -> Architectures.strong(input, 10, 1f, 0.3f);
                case REFERENCE -> Architectures.reference(input, 10);
            };
        }

        java.util.Map<String, org.mnistpipeline.model.WeightsFile.Tensor> weights() {
            return this == SMALL_TRAINED ? TestModels.fixtureWeights() : TestModels.randomWeights(spec(), 5);
        }
    }

    @ParameterizedTest
    @EnumSource(Model.class)
    void officialCheckerAcceptsFloatExport(Model model, @TempDir Path dir) throws Exception {
        check(model, Quantization.NONE, dir);
    }

    @ParameterizedTest
    @EnumSource(Model.class)
    void officialCheckerAcceptsInt8Export(Model model, @TempDir Path dir) throws Exception {
        check(model, Quantization.INT8, dir);
    }

    private static void check(Model model, Quantization quantization, Path dir) throws Exception {
        Path file = dir.resolve(model.name().toLowerCase() + ".onnx");
        OnnxExporter.write(file, model.spec(), model.weights(), "v1", quantization);
        Result result = python(List.of(PYTHON, "-c", CHECK, file.toString()));
        assertThat(result.exit()).as("onnx.checker on %s %s said:%n%s", model, quantization, result.output())
                .isZero();
    }

    private record Result(int exit, String output) {}

    private static Result python(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "timed out: " + output);
            }
            return new Result(process.exitValue(), output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }
}
