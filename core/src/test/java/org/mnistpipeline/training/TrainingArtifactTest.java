package org.mnistpipeline.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Architectures;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile.Tensor;

/** The training artefact as a directory and as one tar.gz: what is written is what is read, or nothing. */
class TrainingArtifactTest {
    @TempDir
    Path dir;

    static TrainingArtifact artifact() {
        ArchitectureSpec spec = Architectures.small(new int[] {1, 28, 28}, 10, 1f);
        List<Tensor> weights = new ArrayList<>();
        weights.add(new Tensor("layer1.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-7f, -0f}));
        weights.add(new Tensor("layer1.bias", new long[] {2}, new float[] {0.25f, Float.MIN_VALUE}));
        TrainingInfo info = new TrainingInfo(TrainingInfo.FORMAT_VERSION, spec, Hyperparameters.fastDefaults(),
                new ModelManifest.DataInfo("mnist", DataFingerprint.of(Map.of("train", "a".repeat(64))), 900, 100,
                        1000, 10),
                List.of(new EpochMetrics(1, 0.5, 0.8, 0.4, 0.85, 0.01, 3.2, 1000),
                        new EpochMetrics(2, 0.3, 0.9, 0.35, 0.88, 0.001, 3.1, 1010)),
                2, 0.88, false, 6.3, Map.of("djl", "0.36.0", "device", "cpu()"));
        return TrainingArtifact.of(info, weights);
    }

    private static void assertSame(TrainingArtifact read, TrainingArtifact written) {
        assertThat(read.info()).isEqualTo(written.info());
        assertThat(read.weights().keySet()).containsExactlyElementsOf(written.weights().keySet());
        written.weights().forEach((name, t) -> {
            assertThat(read.weights().get(name).shape()).isEqualTo(t.shape());
            assertThat(read.weights().get(name).data()).isEqualTo(t.data());
        });
    }

    @Test
    void aDirectoryReadsBackBitForBit() {
        TrainingArtifact written = artifact();
        written.write(dir.resolve("artifact"));

        assertThat(dir.resolve("artifact")).isDirectoryContaining("glob:**/training.json")
                .isDirectoryContaining("glob:**/weights.safetensors").isDirectoryContaining("glob:**/SHA256SUMS");
        assertSame(TrainingArtifact.read(dir.resolve("artifact")), written);
    }

    @Test
    void aTarGzReadsBackBitForBitAndIsAPlainGzippedTar() throws IOException {
        TrainingArtifact written = artifact();
        Path archive = dir.resolve("model.tar.gz");
        written.writeTarGz(archive);

        assertSame(TrainingArtifact.readTarGz(archive), written);
        // Any tar reader finds the same files: here, ours reading the unzipped stream entry by entry.
        Path info = dir.resolve("training.json");
        try (var in = new GZIPInputStream(Files.newInputStream(archive))) {
            assertThat(org.mnistpipeline.io.TarGz.extract(in, "training.json", info)).isTrue();
        }
        assertThat(Files.readString(info)).contains("\"bestEpoch\" : 2").contains("\"djl\" : \"0.36.0\"");
    }

    @Test
    void alteredWeightsAreRefused() throws IOException {
        Path d = artifact().write(dir.resolve("artifact"));
        byte[] bytes = Files.readAllBytes(d.resolve("weights.safetensors"));
        bytes[bytes.length - 1] ^= 1;
        Files.write(d.resolve("weights.safetensors"), bytes);

        assertThatThrownBy(() -> TrainingArtifact.read(d)).isInstanceOf(MnistException.class)
                .hasMessageContaining("corrupt").hasMessageContaining("weights.safetensors");
    }

    @Test
    void anArtefactWithoutItsChecksumsIsIncompleteAndRefused() throws IOException {
        Path d = artifact().write(dir.resolve("artifact"));
        Files.delete(d.resolve("SHA256SUMS"));

        assertThatThrownBy(() -> TrainingArtifact.read(d)).isInstanceOf(MnistException.class)
                .hasMessageContaining("no complete training artefact");
    }

    @Test
    void aTruncatedArchiveIsRefused() throws IOException {
        Path archive = dir.resolve("model.tar.gz");
        artifact().writeTarGz(archive);
        byte[] bytes = Files.readAllBytes(archive);
        Files.write(archive, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        assertThatThrownBy(() -> TrainingArtifact.readTarGz(archive)).isInstanceOf(MnistException.class);
    }
}
