package org.mnistpipeline.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.WeightsFile;

class TrainerTest {
    /** Small network, 2 epochs on 8,000 real MNIST images: a few seconds on two cores. */
    static Hyperparameters quick(int epochs) {
        return new Hyperparameters("small", 1f, 0f, epochs, 64, Hyperparameters.Optimizer.ADAMW, 5e-3f, 1e-4f, 0.9f,
                Hyperparameters.Schedule.ONECYCLE, 0.2f, 0f, Augmentation.none(), 0, 1000, 0, 7L);
    }

    @Test
    void shortRunOnRealMnistBeatsAccuracyFloor(@TempDir Path run) {
        Dataset data = Mnist.subset(8000, 2000);
        List<String> lines = new java.util.ArrayList<>();
        Trainer trainer = new Trainer(Mnist.engine(), Device.cpu(), new TrainingListener() {
            @Override
            public void onEpoch(EpochMetrics metrics) {
                lines.add(metrics.logLine());
            }
        });

        TrainingResult result = trainer.train(data, quick(2), run, false, null);

        // A 10-class guess scores 10%; a working CNN passes 95% on this budget.
        assertThat(result.bestValidationAccuracy()).isGreaterThan(0.95);
        Evaluation test = new ModelPackager(Mnist.engine(), Device.cpu()).evaluate(result.spec(), result.weights(),
                data.test());
        assertThat(test.accuracy()).isGreaterThan(0.94);
        assertThat(result.history()).extracting(EpochMetrics::epoch).containsExactly(1, 2);
        assertThat(result.split().train().size()).isEqualTo(7000);
        // The scrape-friendly log line SageMaker-style tuners parse with a regex.
        assertThat(lines).hasSize(2).allMatch(l -> l.matches("epoch=\\d+ train_loss=[0-9.]+ .*val_accuracy=0\\.\\d{4}.*"));
        assertThat(readLines(run.resolve("metrics.jsonl"))).hasSize(2);
    }

    @Test
    void runKilledMidEpochResumesFromLastCheckpointAndMatchesAnUninterruptedRun(@TempDir Path dir) {
        Dataset data = Mnist.subset(4000, 1000);
        Hyperparameters hp = quick(3);
        Path interrupted = dir.resolve("interrupted");
        // Kill the run half-way through epoch 2, after epoch 1's checkpoint was written.
        Trainer killer = new Trainer(Mnist.engine(), Device.cpu(), new TrainingListener() {
            @Override
            public void onBatch(int epoch, int epochs, int done, int total, double loss, double ips) {
                if (epoch == 2 && done > total / 2) {
                    throw new SimulatedKill();
                }
            }
        });
        assertThatThrownBy(() -> killer.train(data, hp, interrupted, false, null)).isInstanceOf(SimulatedKill.class);
        assertThat(interrupted.resolve("checkpoint-0001")).isDirectory();

        Trainer trainer = new Trainer(Mnist.engine(), Device.cpu(), new TrainingListener() {});
        TrainingResult resumed = trainer.train(data, hp, interrupted, true, null);
        TrainingResult straight = trainer.train(data, hp, dir.resolve("straight"), false, null);

        assertThat(resumed.history()).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
        assertThat(resumed.bestValidationAccuracy()).isGreaterThan(0.9);
        // Same seed, same data order, same optimiser state: the resumed run ends where the straight one does.
        assertThat(resumed.history().getLast().validationAccuracy())
                .isCloseTo(straight.history().getLast().validationAccuracy(), org.assertj.core.data.Offset.offset(0.003));
        Map<String, float[]> a = byName(resumed.weights());
        Map<String, float[]> b = byName(straight.weights());
        assertThat(a.keySet()).isEqualTo(b.keySet());
        // Bit-for-bit: Arrays.equals on floats compares their bits (measured max difference 0.0 on
        // 2 cores, PyTorch 2.7.1 CPU; another BLAS or thread count may round differently).
        for (String name : a.keySet()) {
            assertThat(a.get(name)).as(name).isEqualTo(b.get(name));
        }
        assertThat(readLines(interrupted.resolve("metrics.jsonl"))).hasSize(3);
    }

    @Test
    void resumeRefusesARunStartedWithOtherSettings(@TempDir Path run) {
        Dataset data = Mnist.subset(2000, 500);
        Trainer trainer = new Trainer(Mnist.engine(), Device.cpu(), new TrainingListener() {});
        trainer.train(data, quick(1), run, false, null);

        assertThatThrownBy(() -> trainer.train(data, quick(1).withSeed(99), run, true, null))
                .isInstanceOf(MnistException.class).hasMessageContaining("cannot resume");
        assertThatThrownBy(() -> trainer.train(data, quick(1), run, false, null))
                .isInstanceOf(MnistException.class).hasMessageContaining("--resume");
    }

    @Test
    void djlTrainingLeavesAVerifiedArtefactWithTheBestWeightsAndWhereTheyWereTrained(@TempDir Path dir) {
        Dataset data = Mnist.subset(2000, 500);

        org.mnistpipeline.training.TrainingArtifact artifact = new DjlTraining(Mnist.engine(), new TrainingListener() {})
                .train(data, quick(2), dir, false, null);

        org.mnistpipeline.training.TrainingArtifact read = org.mnistpipeline.training.TrainingArtifact.read(
                dir.resolve(org.mnistpipeline.training.Training.ARTIFACT_DIR));
        assertThat(read.info()).isEqualTo(artifact.info());
        assertThat(read.info().history()).hasSize(2);
        assertThat(read.info().data().trainImages() + read.info().data().validationImages()).isEqualTo(2000);
        assertThat(read.info().data().fingerprint()).isEqualTo(data.fingerprint());
        assertThat(read.info().provenance()).containsEntry("djl", "0.36.0").containsKeys("engine", "device", "java",
                "os", "cpus");
        // The best epoch's weights, as the checkpoints keep them.
        Map<String, WeightsFile.Tensor> best = WeightsFile.read(dir.resolve("best.safetensors"));
        assertThat(read.weights().keySet()).containsExactlyElementsOf(best.keySet());
        best.forEach((name, t) -> assertThat(read.weights().get(name).data()).isEqualTo(t.data()));
    }

    @Test
    void weightsRoundTripThroughTheNeutralFileFormat(@TempDir Path dir) {
        Dataset data = Mnist.subset(2000, 500);
        TrainingResult result = new Trainer(Mnist.engine(), Device.cpu(), new TrainingListener() {})
                .train(data, quick(1), dir.resolve("run"), false, null);
        Path file = dir.resolve("w.safetensors");
        WeightsFile.write(file, result.weights());

        List<WeightsFile.Tensor> reloaded = List.copyOf(WeightsFile.read(file).values());
        ModelPackager packager = new ModelPackager(Mnist.engine(), Device.cpu());
        float[][] before = packager.probabilities(result.spec(), result.weights(), data.test().head(50));
        float[][] after = packager.probabilities(result.spec(), reloaded, data.test().head(50));
        assertThat(after).isDeepEqualTo(before);
        // Names tie tensors to spec layers, so another engine (the ONNX exporter) can rebuild the network.
        assertThat(reloaded).extracting(WeightsFile.Tensor::name).contains("layer1.weight", "layer1.bias",
                "layer2.gamma", "layer2.running_var");
        assertThat(Json.compact(result.spec())).contains("\"type\":\"conv2d\"");
    }

    private static Map<String, float[]> byName(List<WeightsFile.Tensor> tensors) {
        return tensors.stream().collect(Collectors.toMap(WeightsFile.Tensor::name, WeightsFile.Tensor::data));
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static final class SimulatedKill extends RuntimeException {}
}
