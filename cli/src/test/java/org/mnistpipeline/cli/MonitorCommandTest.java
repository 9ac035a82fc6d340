package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.inference.Baselines;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.monitor.SummaryAccumulator;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.registry.LocalModelRegistry;

/**
 * {@code mnist monitor} on a registry holding the real fixture model, with window summaries of
 * that model's predictions on real (and shifted) MNIST test digits, as the server writes them.
 */
class MonitorCommandTest {
    private static LabeledImages test;

    @TempDir
    Path home;

    @BeforeAll
    static void loadTestSet() {
        test = IdxDirectory.load(Locations.fromEnvironment().dataDir()).test();
    }

    /** Registers the fixture model (manifest, weights, model.onnx) as v1 and promotes it. */
    private LocalModelRegistry registry() throws IOException {
        Path staged = Files.createDirectories(home.resolve("staged"));
        for (String file : List.of("model.onnx", "manifest.json", "weights.safetensors")) {
            try (InputStream in = getClass().getResourceAsStream("/fixtures/small-v1/" + file)) {
                Files.copy(in, staged.resolve(file));
            }
        }
        LocalModelRegistry registry = new LocalModelRegistry(home.resolve("registry"));
        String version = registry.register(staged).version();
        registry.promote(version, "production");
        return registry;
    }

    /** What the server would have written after serving every 20th test image (optionally shifted). */
    private void serve(LocalModelRegistry registry, String shift, int count) throws IOException {
        LabeledImages sample = test.select(IntStream.range(0, count).map(i -> i * 20 + 7).toArray());
        if (shift != null) {
            sample = Shifts.apply(sample, shift, 5);
        }
        SummaryAccumulator acc = SummaryAccumulator.mnist();
        try (OnnxPredictor predictor = OnnxPredictor.fromFile(registry.get("v1").file("model.onnx"), "v1",
                PredictorOptions.defaults())) {
            for (int i = 0; i < sample.size(); i++) {
                float[] x = new float[784];
                sample.imageAsFloats(i, x, 0);
                Prediction p = predictor.predict(x);
                acc.record(x, p.label(), p.confidence());
            }
        }
        Instant now = Instant.now();
        SummaryStore.local(home.resolve("monitoring")).write(acc.drain("v1", now.minusSeconds(120), now.minusSeconds(60)),
                "test");
    }

    private CliRunner.Result monitor(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("monitor"));
        args.addAll(List.of(more));
        return new CliRunner(home).run(args.toArray(String[]::new));
    }

    @Test
    void exitsZeroWithoutDriftSevenOnDriftAndEightWithTooFewPredictions() throws IOException {
        LocalModelRegistry registry = registry();
        // A package released before baselines: monitor computes one and says so.
        serve(registry, null, 20);
        CliRunner.Result few = monitor();
        assertThat(few.exitCode()).as(few.err()).isEqualTo(ExitCodes.INSUFFICIENT_DATA);
        assertThat(few.err()).contains("v1 has no baseline.json; computing one from the MNIST test set (10000 images)");
        assertThat(few.out()).contains("insufficient data: model v1, 20 samples in the window, 300 needed");

        // Attach the baseline as a release does; now nothing is computed.
        registry.addFiles("v1", Map.of(Baseline.FILE, Baselines.compute(
                Files.readAllBytes(registry.get("v1").file("model.onnx")), "v1", test, "test set").toJson()));
        serve(registry, null, 400);
        CliRunner.Result calm = monitor("--window", "10m");
        assertThat(calm.exitCode()).as(calm.out() + calm.err()).isEqualTo(ExitCodes.OK);
        assertThat(calm.err()).doesNotContain("computing");
        assertThat(calm.out()).contains("baseline: test set, 10000 predictions").contains("no drift: model v1")
                .contains("420 predictions in 2 summaries").containsPattern("slant +0\\.0\\d\\d\\n");

        serve(registry, "thick+slant:15", 400);
        CliRunner.Result drift = monitor("--json", "--retrain");
        assertThat(drift.exitCode()).as(drift.out() + drift.err()).isEqualTo(ExitCodes.DRIFT);
        JsonNode json = Json.mapper().readTree(drift.out());
        assertThat(json.at("/report/status").asText()).isEqualTo("DRIFT");
        assertThat(json.at("/report/psi/meanIntensity").asDouble()).isGreaterThan(0.2);
        assertThat(json.at("/baseline_computed").asBoolean()).isFalse();
        // --retrain ran the pipeline, whose decide step read the same drift; with no labelled data it skips.
        assertThat(drift.err()).contains("running `mnist retrain --reason drift`").contains("decide: DRIFT: model v1")
                .contains("drift was reported, so label recent traffic and ingest it");

        // A window that ends before anything was written: no data, whatever the threshold.
        assertThat(monitor("--window", "30s", "--threshold", "0.01").exitCode())
                .isEqualTo(ExitCodes.INSUFFICIENT_DATA);
    }

    @Test
    void badWindowsAndUnknownModelsAreRefusedWithTheirReason() throws IOException {
        registry();
        CliRunner.Result window = monitor("--window", "soon");
        assertThat(window.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(window.err()).contains("--window 'soon' is not a duration; use e.g. 30m, 1h, 2d");
        assertThat(monitor("--model", "v9").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    }
}
