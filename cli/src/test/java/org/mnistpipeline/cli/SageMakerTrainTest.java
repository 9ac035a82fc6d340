package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.registry.ModelPackage;

/** The container's `train` entry, run against a temporary /opt/ml-shaped tree. */
class SageMakerTrainTest {
    @TempDir
    Path home;

    private Path optMl(String hyperparameters, boolean withData) throws Exception {
        Path optMl = home.resolve("opt/ml");
        Files.createDirectories(optMl.resolve("input/config"));
        Files.createDirectories(optMl.resolve("model"));
        Files.createDirectories(optMl.resolve("output"));
        Files.writeString(optMl.resolve("input/config/hyperparameters.json"), hyperparameters);
        if (withData) {
            Path train = Files.createDirectories(optMl.resolve("input/data/train"));
            Path test = Files.createDirectories(optMl.resolve("input/data/test"));
            Path mnist = Locations.fromEnvironment().dataDir();
            Files.createSymbolicLink(train.resolve("train-images-idx3-ubyte"), mnist.resolve("train-images-idx3-ubyte"));
            Files.createSymbolicLink(train.resolve("train-labels-idx1-ubyte"), mnist.resolve("train-labels-idx1-ubyte"));
            Files.createSymbolicLink(test.resolve("t10k-images-idx3-ubyte"), mnist.resolve("t10k-images-idx3-ubyte"));
            Files.createSymbolicLink(test.resolve("t10k-labels-idx1-ubyte"), mnist.resolve("t10k-labels-idx1-ubyte"));
        }
        return optMl;
    }

    @Test
    void trainsFromHyperparametersAndChannelsIntoTheModelDirectory() throws Exception {
        Path optMl = optMl("""
                {"architecture": "small", "epochs": "2", "batch-size": "64", "max-train-images": "5000", "validation-size": "500",
                 "augment": "0", "sagemaker_region": "\\"eu-west-1\\""}""", true);

        var r = new CliRunner(home).run("sagemaker-train", "--opt-ml", optMl.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("epoch=2 train_loss=\\d\\.\\d{4}").containsPattern("test_accuracy=0\\.9\\d{3}");
        ModelPackage pkg = ModelPackage.open(optMl.resolve("model"));
        assertThat(pkg.files()).contains("model.onnx", "weights.safetensors", "report/report.html");
        assertThat(pkg.manifest().hyperparameters().epochs()).isEqualTo(2);
        assertThat(pkg.manifest().version()).isNotBlank();
        assertThat(optMl.resolve("output/failure")).doesNotExist();
    }

    @Test
    void unknownHyperparameterFailsWithReasonInTheFailureFile() throws Exception {
        Path optMl = optMl("{\"epochz\": \"3\"}", true);

        var r = new CliRunner(home).run("sagemaker-train", "--opt-ml", optMl.toString());

        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(Files.readString(optMl.resolve("output/failure"))).startsWith("bad hyperparameters.json")
                .contains("epochz");
    }

    @Test
    void missingTrainChannelFailsWithReasonInTheFailureFile() throws Exception {
        Path optMl = optMl("{}", false);

        var r = new CliRunner(home).run("sagemaker-train", "--opt-ml", optMl.toString());

        assertThat(r.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(Files.readString(optMl.resolve("output/failure"))).contains("train` channel");
        assertThat(optMl.resolve("model/manifest.json")).doesNotExist();
    }
}
