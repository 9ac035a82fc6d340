package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.RunStore.StepRun;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.train.DjlTraining;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.training.Training;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * A retraining run killed with SIGKILL at every step, twice per step: before the step runs and
 * after it has done its work but before its result is recorded (the window where a registration
 * or a promotion is done and the run record does not know it yet). Each kill is a real process
 * (a child JVM blocked at the point); each next {@code retrain} resumes the same run. At the end
 * the run is complete, and nothing was lost or done twice: one batch stored, one version
 * registered, production moved once.
 */
class RetrainCrashTest {
    private static final List<String> STEPS = List.of("ingest", "validate", "decide", "train", "evaluate", "gate",
            "register", "promote", "notify");

    @TempDir
    static Path shared;

    @TempDir
    Path home;

    private static String champion;

    /** A champion trained on 6,000 MNIST images, registered and promoted, as `mnist train --promote` would. */
    @BeforeAll
    static void champion() {
        Dataset mnist = IdxDirectory.load(Locations.fromEnvironment().dataDir());
        Path base = shared.resolve("base");
        Idx.writeDataset(base, mnist.train().head(6000), mnist.test().head(2000));
        Idx.write(shared.resolve("batch"), "batch", Shifts.apply(mnist.train().select(IntStream.range(50_000, 52_500)
                .toArray()), "thick", 11));
        Training training = new DjlTraining(Engines.pytorch(Locations.fromEnvironment().djlCache(),
                System.err::println), new TrainingListener() {});
        Dataset data = IdxDirectory.load(base);
        TrainingArtifact artifact = training.train(data, PipelineRunnerTest.recipe(), shared.resolve("champion"),
                false, null);
        ReleaseService release = new ReleaseService(line -> { });
        LocalModelRegistry registry = new LocalModelRegistry(shared.resolve("registry"));
        champion = release.register(registry, release.evaluate(artifact, data.test(),
                shared.resolve("champion-evaluation")), shared.resolve("champion-package"), null, Map.of(), false)
                .version();
        registry.promote(champion, "production");
    }

    @Test
    void killedBeforeAndAfterEveryStepTheRunResumesAndNothingIsLostOrDoneTwice() throws Exception {
        FileTrees.copy(shared.resolve("registry"), home.resolve("registry"));
        LocalModelRegistry registry = new LocalModelRegistry(home.resolve("registry"));
        String batch = shared.resolve("batch").toString();

        for (String step : STEPS) {
            for (String phase : List.of("started", "done")) {
                String point = step + " " + phase;
                ChildJvm.killAt(point, "1g", RetrainMain.class, home.toString(), batch, point);

                List<RunRecord> runs = RunStore.under(home.resolve("pipeline")).list();
                assertThat(runs).as("after a kill at %s", point).singleElement().satisfies(run -> {
                    assertThat(run.status()).isEqualTo("running");
                    assertThat(run.next()).as("the step to resume").isEqualTo(step);
                });
                assertThat(registry.list()).as("after a kill at %s", point).hasSizeLessThanOrEqualTo(2);
                if (STEPS.indexOf(step) < STEPS.indexOf("promote") || point.equals("promote started")) {
                    assertThat(registry.alias("production")).contains(champion);
                }
            }
        }

        ChildJvm.Result last = ChildJvm.run(600, "1g", RetrainMain.class, home.toString(), batch);

        assertThat(last.exitCode()).as(last.output()).isZero();
        assertThat(last.output()).contains("resuming run").contains("outcome promoted");
        RunRecord run = RunStore.under(home.resolve("pipeline")).list().getFirst();
        assertThat(RunStore.under(home.resolve("pipeline")).list()).hasSize(1);
        assertThat(run.status()).isEqualTo("succeeded");
        assertThat(run.steps()).extracting(StepRun::name).containsExactlyElementsOf(STEPS);
        assertThat(run.steps()).extracting(StepRun::status).containsOnly("succeeded");
        assertThat(registry.list()).as("registered once").hasSize(2);
        String promoted = registry.alias("production").orElseThrow();
        assertThat(promoted).isNotEqualTo(champion);
        ModelManifest m = registry.get(promoted).manifest();
        assertThat(m.provenance()).containsEntry("pipeline.run", run.id());
        assertThat(registry.history("production")).hasSize(2);
        assertThat(DataStoreBatches.at(home.resolve("datastore")).batches()).hasSize(1);
        // Delivery is at least once (Notifier): the kill after notify had sent, before the record knew
        // it, sends again; nothing else does.
        assertThat(Files.readAllLines(home.resolve("pipeline/notifications.jsonl"))).hasSize(2)
                .allSatisfy(line -> assertThat(line).contains("\"outcome\":\"promoted\"")
                        .contains("\"runId\":\"" + run.id() + "\""));
        try (Stream<Path> left = Files.list(home.resolve("registry"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".staging-"));
        }
    }
}
