package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Architectures;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile.Tensor;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.training.TrainingArtifact;
import org.mnistpipeline.training.TrainingInfo;

/**
 * The pipeline's home under an S3 prefix (moto's server): run records, one run at a time across
 * machines, training artefacts handed from one step to the next by URI (the train step's published
 * directory, or a SageMaker training job's {@code model.tar.gz}), notifications. Each "machine" is a
 * home object with its own scratch directory.
 */
class PipelineHomeOnS3Test {
    private static MotoBucket motoBucket;
    private static org.mnistpipeline.testsupport.MotoServer moto;
    private static S3Objects s3;

    @TempDir
    Path tmp;

    private ObjectPath root;

    @BeforeAll
    static void start() throws Exception {
        motoBucket = MotoBucket.start();
        moto = motoBucket.moto;
        s3 = motoBucket.storage;
    }

    @AfterAll
    static void stop() throws Exception {
        if (motoBucket != null) {
            motoBucket.close();
        }
    }

    @BeforeEach
    void freshBucket() throws Exception {
        root = new ObjectPath(moto.freshBucket(), "home/pipeline");
    }

    private PipelineHome machine(String name) {
        return PipelineHome.objects(s3, root, root, tmp.resolve("scratch-" + name), Duration.ofMinutes(10));
    }

    /** The weights of a small CNN's first layer and a two-epoch history: what an artefact holds, small. */
    private static TrainingArtifact artifact() {
        List<Tensor> weights = new ArrayList<>();
        weights.add(new Tensor("layer1.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-7f, -0f}));
        weights.add(new Tensor("layer1.bias", new long[] {2}, new float[] {0.25f, Float.MIN_VALUE}));
        TrainingInfo info = new TrainingInfo(TrainingInfo.FORMAT_VERSION, Architectures.small(new int[] {1, 28, 28},
                10, 1f), Hyperparameters.fastDefaults(), new ModelManifest.DataInfo("mnist",
                        DataFingerprint.of(Map.of("train", "a".repeat(64))), 900, 100, 1000, 10),
                List.of(new EpochMetrics(1, 0.5, 0.8, 0.4, 0.85, 0.01, 3.2, 1000),
                        new EpochMetrics(2, 0.3, 0.9, 0.35, 0.88, 0.001, 3.1, 1010)),
                2, 0.88, false, 6.3, Map.of("djl", "0.36.0", "device", "cpu()"));
        return TrainingArtifact.of(info, weights);
    }

    private static void assertSameWeights(TrainingArtifact read, TrainingArtifact written) {
        assertThat(read.info()).isEqualTo(written.info());
        written.weights().forEach((name, tensor) -> assertThat(read.weights().get(name).data()).isEqualTo(tensor.data()));
    }

    private static RunRecord run(String id) {
        return new RunRecord(id, "running", null, "2026-12-03T10:00:00Z", null, "ingest",
                Json.mapper().createObjectNode().put("note", id), List.of());
    }

    @Test
    void runRecordsAreObjectsListedOldestFirst() {
        RunStore runs = machine("a").runs();
        for (String id : List.of("run-20261203T100000Z", "run-20261201T090000Z", "run-20261202T080000Z")) {
            runs.save(run(id));
        }
        runs.save(run("run-20261201T090000Z").with("failed", "failed", "2026-12-03T11:00:00Z", "train",
                run("run-20261201T090000Z").state(), List.of()));

        RunStore elsewhere = machine("b").runs();
        assertThat(elsewhere.list()).extracting(RunRecord::id).containsExactly("run-20261201T090000Z",
                "run-20261202T080000Z", "run-20261203T100000Z");
        assertThat(elsewhere.find("run-20261201T090000Z")).get().extracting(RunRecord::status).isEqualTo("failed");
        assertThat(elsewhere.find("run-absent")).isEmpty();
        assertThat(elsewhere.location("run-x")).isEqualTo(root.resolve("runs/run-x.json").toString());
    }

    @Test
    void onlyOneRunAtATimeAcrossMachines() {
        PipelineLock first = machine("a").lock();
        assertThatThrownBy(() -> machine("b").lock()).isInstanceOf(PipelineLock.BusyException.class)
                .hasMessageContaining("another retraining run is in progress")
                .hasMessageContaining("pid " + ProcessHandle.current().pid());
        first.check(); // still held
        first.close();
        try (PipelineLock second = machine("b").lock()) {
            second.check();
        }
    }

    @Test
    void aPublishedArtefactIsReadByTheNextStepOnAnotherMachine() {
        TrainingArtifact written = artifact();
        Path dir = written.write(machine("trainer").workDir("run-1").resolve("train-full/artifact"));
        String location = machine("trainer").files("run-1").publish(dir, "train-full/artifact");

        assertThat(location).isEqualTo(root.resolve("work/run-1/train-full/artifact").toString());
        assertSameWeights(machine("evaluator").files("run-1").artifact(location), written);
    }

    @Test
    void aSageMakerModelTarGzIsReadByItsUriAndRefusedWhenDamaged() throws Exception {
        TrainingArtifact written = artifact();
        Path archive = tmp.resolve("model.tar.gz");
        written.writeTarGz(archive);
        ObjectPath object = new ObjectPath(root.bucket(), "sagemaker/mnist-train-1/output/model.tar.gz");
        s3.upload(object, archive);

        RunFiles files = machine("evaluator").files("run-1");
        assertSameWeights(files.artifact(object.toString()), written);

        byte[] bytes = java.nio.file.Files.readAllBytes(archive);
        bytes[bytes.length / 2] ^= 0x55;
        s3.put(object, bytes);
        assertThatThrownBy(() -> files.artifact(object.toString())).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> files.artifact(object.resolve("absent").toString()))
                .isInstanceOf(MnistException.class).hasMessageContaining("nothing at");
    }

    @Test
    void aRepublishedDirectoryLosesTheFilesItNoLongerHas() throws Exception {
        Path dir = tmp.resolve("evaluate-full");
        java.nio.file.Files.createDirectories(dir.resolve("report"));
        java.nio.file.Files.writeString(dir.resolve("report/old.png"), "first attempt");
        java.nio.file.Files.writeString(dir.resolve("evaluation.json"), "{}");
        RunFiles files = machine("a").files("run-1");
        files.publish(dir, "evaluate-full");
        java.nio.file.Files.delete(dir.resolve("report/old.png"));
        String location = files.publish(dir, "evaluate-full");

        Path fetched = machine("b").files("run-1").fetch(location);
        try (var walk = java.nio.file.Files.walk(fetched)) {
            assertThat(walk.filter(java.nio.file.Files::isRegularFile).map(p -> fetched.relativize(p).toString()))
                    .containsExactly("evaluation.json");
        }
    }

    @Test
    void aNotificationIsAnObjectPerRun() {
        List<String> delivered = machine("a").notifier(null).send(new Notifier.Notification("run-1", "promoted",
                "v2 promoted", "v1", "v2", "2026-12-03T10:00:00Z"));
        assertThat(delivered).singleElement().asString().endsWith(": ok");
        String key = root.resolve("notifications/2026-12-03T10-00-00Z-run-1.json").key();
        assertThat(s3.list(root.resolve("notifications"))).containsExactly(key);
        assertThat(new String(s3.get(new ObjectPath(root.bucket(), key)).orElseThrow().bytes(), StandardCharsets.UTF_8))
                .contains("\"outcome\":\"promoted\"");
    }
}
