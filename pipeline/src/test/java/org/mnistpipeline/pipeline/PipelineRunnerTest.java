package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.RunStore.StepRun;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.train.DjlTraining;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.training.Training;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * The retraining loop on real MNIST with real components: DJL training, ONNX Runtime scoring, the
 * local registry and data store. Every step's input and output is checked against its published
 * contract (the JSON Schemas under {@code contracts/}). A champion is trained on 6,000 images; new batches come from
 * training images it never saw, shifted (thicker strokes) so there is something to learn.
 */
class PipelineRunnerTest {
    @TempDir
    static Path shared;
    static Path base;
    static LabeledImages mnistTrain;
    static Training training;

    @TempDir
    Path home;
    List<String> log = new ArrayList<>();

    @BeforeAll
    static void data() {
        Dataset mnist = IdxDirectory.load(Locations.fromEnvironment().dataDir());
        mnistTrain = mnist.train();
        base = shared.resolve("base");
        Idx.writeDataset(base, mnist.train().head(6000), mnist.test().head(2000));
        training = new DjlTraining(Engines.pytorch(Locations.fromEnvironment().djlCache(), System.err::println),
                new TrainingListener() {});
        championVersion = champion(new LocalModelRegistry(shared.resolve("registry")), shared);
    }

    static String championVersion;

    /** A registry holding the shared champion (trained once for all tests), as production. */
    ModelRegistry registry() {
        Path dir = home.resolve("registry");
        try {
            org.mnistpipeline.io.FileTrees.copy(shared.resolve("registry"), dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new LocalModelRegistry(dir);
    }

    static Hyperparameters recipe() {
        return new Hyperparameters("small", 1f, 0f, 2, 64, Hyperparameters.Optimizer.ADAMW, 5e-3f, 1e-4f, 0.9f,
                Hyperparameters.Schedule.ONECYCLE, 0.2f, 0f, Augmentation.none(), 0, 600, 0, 3L);
    }

    /** Trains, registers and promotes the champion, as `mnist train --promote` would. */
    static String champion(ModelRegistry registry, Path work) {
        Dataset data = IdxDirectory.load(base);
        TrainingArtifact artifact = training.train(data, recipe(), work.resolve("champion"), false, null);
        ReleaseService release = new ReleaseService(line -> { });
        String version = release.register(registry, release.evaluate(artifact, data.test(),
                work.resolve("champion-evaluation")), work.resolve("champion-package"), null, java.util.Map.of(), false)
                .version();
        registry.promote(version, "production");
        return version;
    }

    /** A batch directory of MNIST training images {@code from..from+count} (unseen by the champion). */
    static Path batch(Path dir, int from, int count, String shift, boolean scrambleLabels) {
        int[] indices = java.util.stream.IntStream.range(from, from + count).toArray();
        LabeledImages images = mnistTrain.select(indices);
        if (shift != null) {
            images = Shifts.apply(images, shift, 11);
        }
        if (scrambleLabels) {
            byte[] labels = images.labels().clone();
            for (int i = 0; i < labels.length; i++) {
                labels[i] = (byte) ((labels[i] + 1 + i % 9) % 10);
            }
            images = new LabeledImages(images.pixels(), labels, 28, 28, 10);
        }
        Idx.write(dir, "batch", images);
        return dir;
    }

    PipelineRunner runner(ModelRegistry registry, BatchStore store, Training t) {
        return new PipelineRunner(home.resolve("pipeline"), registry, store, t,
                Notifier.of(home.resolve("pipeline/notifications.jsonl"), null), log::add);
    }

    static RetrainRequest request(List<Path> sources, boolean fallback) {
        return RetrainRequest.builder().sources(sources.stream().map(Path::toString).toList()).reason("test")
                .fallbackToFull(fallback).minNewImages(1000).build();
    }

    /** The steps the run took; each one's recorded input and output checked against its contract. */
    static List<String> stepNames(RunRecord run) {
        run.steps().stream().filter(s -> "succeeded".equals(s.status())).forEach(Contracts::assertConforms);
        return run.steps().stream().filter(s -> "succeeded".equals(s.status())).map(StepRun::name).toList();
    }

    @Test
    void newShiftedDataIsLearntIncrementallyAndPromotedWithLineage() {
        ModelRegistry registry = registry();
        String v1 = championVersion;
        BatchStore store = DataStoreBatches.at(home.resolve("datastore"));
        Path batch = batch(home.resolve("batch1"), 50_000, 2500, "thick", false);

        RunRecord run = runner(registry, store, training).run(request(List.of(batch), true));

        assertThat(run.outcome()).as(String.join("\n", log)).isEqualTo("promoted");
        assertThat(stepNames(run)).containsExactly("ingest", "validate", "decide", "train", "evaluate", "gate",
                "register", "promote", "notify");
        String v2 = registry.alias("production").orElseThrow();
        assertThat(v2).isNotEqualTo(v1);
        ModelManifest m = registry.get(v2).manifest();
        assertThat(m.parent()).isEqualTo(v1);
        assertThat(Lineage.of(m).batches()).containsExactly(store.batches().getFirst().id());
        assertThat(m.provenance()).containsEntry("pipeline.run", run.id()).containsEntry("pipeline.mode",
                "incremental");
        JsonNode gate = run.state().get("gate");
        assertThat(gate.get("passed").asBoolean()).isTrue();
        // The challenger learnt the shifted strokes: better than the champion on the new data's holdout.
        JsonNode eval = run.state().get("evaluate");
        assertThat(eval.at("/challenger/newHoldout").asDouble()).isGreaterThan(eval.at("/champion/newHoldout")
                .asDouble());
        assertThat(registry.get(v2).dir().resolve("model.onnx")).exists();

        // Same batch again: nothing new, nothing trained.
        RunRecord again = runner(registry, store, training).run(request(List.of(batch), true));
        assertThat(again.outcome()).isEqualTo("skipped");
        assertThat(stepNames(again)).containsExactly("ingest", "validate", "decide", "notify");

        // Rollback restores the previous champion at any time.
        assertThat(registry.rollback("production")).isEqualTo(v1);
    }

    @Test
    void aBadChallengerIsRejectedEvenAfterTheFullRetrainFallbackAndTheChampionStays() {
        ModelRegistry registry = registry();
        BatchStore store = DataStoreBatches.at(home.resolve("datastore"));
        // Labels deliberately wrong: whatever learns them gets worse on the original test set.
        Path batch = batch(home.resolve("bad"), 52_000, 2500, null, true);

        RunRecord run = runner(registry, store, training).run(request(List.of(batch), true));

        assertThat(run.outcome()).as(String.join("\n", log)).isEqualTo("rejected");
        assertThat(stepNames(run)).containsExactly("ingest", "validate", "decide", "train", "evaluate", "gate",
                "train", "evaluate", "gate", "reject", "notify");
        assertThat(run.state().at("/fallback/incremental/gate/mode").asText()).isEqualTo("INCREMENTAL");
        assertThat(run.state().at("/fallback/mode").asText()).isEqualTo("FULL");
        assertThat(run.state().at("/gate/mode").asText()).isEqualTo("FULL");
        assertThat(run.state().at("/gate/passed").asBoolean()).isFalse();
        assertThat(run.state().at("/reject/reason").asText()).contains("original test");
        assertThat(registry.alias("production")).contains(championVersion);
        assertThat(registry.list()).hasSize(1);
        assertThat(home.resolve("pipeline/notifications.jsonl")).content().contains("\"outcome\":\"rejected\"");

        // The same rejected batches are not retried against the same champion until more data arrives.
        RunRecord again = runner(registry, store, training).run(request(List.of(batch), true));
        assertThat(again.outcome()).isEqualTo("skipped");
        assertThat(again.state().at("/decide/reason").asText()).contains("already tried");
    }

    @Test
    void aRunKilledDuringTrainingResumesFromItsLastCheckpoint() {
        ModelRegistry registry = registry();
        BatchStore store = DataStoreBatches.at(home.resolve("datastore"));
        Path batch = batch(home.resolve("batch"), 54_000, 2000, "slant:15", false);
        // The process "dies" right after epoch 1's checkpoint: an Error, which the runner does not catch,
        // leaves the run record exactly as a SIGKILL would.
        Training dying = new DjlTraining(Engines.pytorch(Locations.fromEnvironment().djlCache(), System.err::println),
                new TrainingListener() {
                    @Override
                    public void onEpoch(org.mnistpipeline.eval.EpochMetrics metrics) {
                        throw new Killed();
                    }
                });
        assertThatThrownBy(() -> runner(registry, store, dying).run(request(List.of(batch), true)))
                .isInstanceOf(Killed.class);
        RunRecord killed = runner(registry, store, training).runs().list().getFirst();
        assertThat(killed.status()).isEqualTo("running");
        assertThat(killed.next()).isEqualTo("train");
        assertThat(stepNames(killed)).containsExactly("ingest", "validate", "decide");

        RunRecord resumed = runner(registry, store, training).run(RetrainRequest.defaults());

        assertThat(resumed.id()).isEqualTo(killed.id());
        assertThat(log).anyMatch(l -> l.contains("resuming run " + killed.id() + " at step train"));
        assertThat(resumed.outcome()).isEqualTo("promoted");
        assertThat(resumed.state().at("/train/epochs").asInt()).isEqualTo(3);
        assertThat(registry.get("production").manifest().provenance()).containsEntry("pipeline.run", killed.id());
    }

    static final class Killed extends Error {}

    @Test
    void aSecondRunIsRefusedWhileTheLockIsHeld() {
        ModelRegistry registry = registry();
        PipelineRunner runner = runner(registry, DataStoreBatches.at(home.resolve("datastore")), training);
        try (PipelineLock held = PipelineLock.acquire(home.resolve("pipeline/lock"))) {
            assertThatThrownBy(() -> runner.run(RetrainRequest.defaults()))
                    .isInstanceOf(PipelineLock.BusyException.class)
                    .hasMessageContaining("another retraining run is in progress")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
        }
        assertThat(runner.runs().list()).isEmpty();
        // Released: the next run goes ahead (nothing new, so it skips).
        assertThat(runner.run(RetrainRequest.defaults()).outcome()).isEqualTo("skipped");
    }

    @Test
    void aFailingStepLeavesTheChampionAloneAndTheRunCanBeRetried() throws Exception {
        ModelRegistry registry = registry();
        PipelineRunner runner = runner(registry, DataStoreBatches.at(home.resolve("datastore")), training);
        Path missing = home.resolve("not-yet-there");

        assertThatThrownBy(() -> runner.run(request(List.of(missing), true)))
                .isInstanceOf(PipelineRunner.StepFailedException.class)
                .hasMessageContaining("step ingest failed").hasMessageContaining("not a directory");
        RunRecord failed = runner.runs().list().getFirst();
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.steps().getLast().error()).contains("not a directory");
        assertThat(registry.alias("production")).contains(championVersion);

        // Retried once the source exists; 500 images are below the threshold, so it ends without training.
        batch(missing, 56_000, 500, "thick", false);
        RunRecord retried = runner.resume(failed.id());
        assertThat(retried.status()).isEqualTo("succeeded");
        assertThat(retried.outcome()).isEqualTo("skipped");
        assertThat(retried.state().at("/decide/reason").asText()).contains("500 new images, fewer than");
        assertThat(retried.steps()).extracting(StepRun::status).startsWith("failed", "succeeded");
        assertThat(stepNames(retried)).containsExactly("ingest", "validate", "decide", "notify");
    }
}
