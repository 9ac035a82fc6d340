package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.registry.ModelPackageException;

class SnapStartPrimingTest {
    @Test
    void beforeCheckpointRunsWarmUpRequestsThroughTheModelQuietly() throws Exception {
        Harness h = new Harness();
        int linesBefore = h.lines().size();

        h.handler.checkpointResource().beforeCheckpoint(null);

        assertThat(h.handler.environment().model.peek()).isPresent();
        assertThat(h.predictor.get().images.get()).as("every warm-up ran the model").isEqualTo(3);
        assertThat(((SnapStartPriming) h.handler.checkpointResource()).warmUps()).isEqualTo(3);
        assertThat(h.handler.environment().cache.size()).as("no synthetic strokes in the snapshot's cache").isZero();
        assertThat(h.lines().subList(linesBefore, h.lines().size()))
                .noneMatch(l -> l.contains("CloudWatchMetrics"))
                .anyMatch(l -> l.contains("primed for snapshot"));
    }

    @Test
    void beforeCheckpointLoadsTheModelWhenInitCouldNot() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        ModelLoader flaky = () -> {
            if (attempts.incrementAndGet() == 1) {
                throw new ModelPackageException("model not there yet");
            }
            return new LocalModelLoader(Harness.modelDir()).load();
        };
        Harness h = new Harness(Harness.config(), flaky, BatchScorer.unavailable());
        assertThat(h.handler.environment().model.peek()).isEmpty();

        h.handler.checkpointResource().beforeCheckpoint(null);

        assertThat(h.handler.environment().model.peek()).isPresent();
        assertThat(h.predictor.get().images.get()).isEqualTo(3);
    }

    @Test
    void beforeCheckpointFailsWhenTheModelCannotLoadSoNoBrokenSnapshotIsTaken() {
        ModelLoader missing = () -> {
            throw new ModelPackageException("no model");
        };
        Harness h = new Harness(Harness.config(), missing, BatchScorer.unavailable());

        assertThatThrownBy(() -> h.handler.checkpointResource().beforeCheckpoint(null))
                .hasMessageContaining("could not be loaded");
    }

    @Test
    void afterRestoreStartsANewEnvironment() throws Exception {
        Harness h = new Harness();
        h.handler.checkpointResource().beforeCheckpoint(null);
        h.invoke("apigw-v2-png.json");
        h.invoke("apigw-v2-png.json");
        String environment = h.handler.environment().id();

        h.handler.checkpointResource().afterRestore(null);
        h.invoke("apigw-v2-png.json");

        assertThat(h.handler.environment().id()).isNotEqualTo(environment);
        assertThat(h.handler.environment().cache.hits()).as("counters restart").isZero();
        assertThat(h.handler.environment().cache.misses()).isEqualTo(1);
        JsonNode line = Json.mapper().readTree(h.lines().getLast());
        assertThat(line.get("ColdStart").asBoolean()).as("first request after restore").isTrue();
    }

    @Test
    void warmUpPngsAreDistinctSoEveryRunReachesTheModel() {
        assertThat(SnapStartPriming.strokePng(0)).isNotEqualTo(SnapStartPriming.strokePng(1));
        assertThat(new String(SnapStartPriming.warmUpEvent(0))).contains("\"version\":\"2.0\"")
                .contains("image/png");
    }

}
