package org.mnistpipeline.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryAccumulatorTest {
    private static final Instant T0 = Instant.parse("2026-11-28T04:00:00Z");
    private static final Instant T1 = Instant.parse("2026-11-28T04:01:00Z");
    private static final Instant T2 = Instant.parse("2026-11-28T04:02:00Z");

    @TempDir
    Path tmp;

    /** A 28x28 image with a vertical bar of full ink, {@code width} wide and rows 4..23. */
    static float[] bar(int x0, int width) {
        float[] image = new float[784];
        for (int y = 4; y < 24; y++) {
            for (int x = x0; x < x0 + width; x++) {
                image[y * 28 + x] = 1f;
            }
        }
        return image;
    }

    @Test
    void inputStatsOfABarAreItsMassBoxAndZeroSlant() {
        InputStats stats = InputStats.measure(bar(10, 3), 28);

        assertThat(stats.meanIntensity()).isCloseTo(60 / 784.0, within(1e-9));
        assertThat(stats.inkFraction()).isCloseTo(60 / 784.0, within(1e-9));
        assertThat(stats.inkWidth()).isEqualTo(3);
        assertThat(stats.inkHeight()).isEqualTo(20);
        assertThat(stats.slant()).isCloseTo(0, within(1e-9));
        assertThat(InputStats.measure(new float[784], 28)).isEqualTo(new InputStats(0, 0, 0, 0, 0));
    }

    @Test
    void slantIsTheRightwardShiftPerRowUpwards() {
        // A line that moves one pixel right for every two rows up: slant 0.5.
        float[] image = new float[784];
        for (int y = 0; y < 28; y += 2) {
            int x = 20 - y / 2;
            image[y * 28 + x] = 1f;
        }
        assertThat(InputStats.measure(image, 28).slant()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void recordsClassConfidenceAndInputStatsIntoTheirBins() {
        SummaryAccumulator acc = SummaryAccumulator.mnist();
        acc.record(bar(10, 3), 1, 0.9995f);
        acc.record(bar(10, 3), 1, 0.85f);
        acc.record(bar(5, 15), 7, 0.3f);

        PredictionSummary s = acc.snapshot("v1", T0, T1);

        assertThat(s.samples()).isEqualTo(3);
        assertThat(s.counts(Feature.PREDICTED_CLASS)).containsExactly(0, 2, 0, 0, 0, 0, 0, 1, 0, 0);
        assertThat(s.counts(Feature.CONFIDENCE)).containsExactly(1, 0, 0, 1, 0, 0, 0, 0, 0, 1);
        // Widths 3 and 15: bins [<6] and [14,16).
        assertThat(s.counts(Feature.INK_WIDTH)).containsExactly(2, 0, 0, 0, 1, 0, 0, 0, 0);
        // Heights 20: bin [20,21).
        assertThat(s.counts(Feature.INK_HEIGHT)[6]).isEqualTo(3);
        assertThat(acc.samples()).isEqualTo(3); // a snapshot leaves the counts
    }

    @Test
    void drainZeroesTheCountsAndSummariesMergeByAdding() {
        SummaryAccumulator acc = SummaryAccumulator.mnist();
        acc.record(bar(10, 3), 1, 0.99f);
        PredictionSummary first = acc.drain("v1", T0, T1);
        assertThat(acc.samples()).isZero();
        acc.record(bar(5, 15), 7, 0.5f);
        acc.record(bar(5, 15), 7, 0.5f);
        PredictionSummary second = acc.drain("v1", T1, T2);

        PredictionSummary merged = first.merge(second);

        assertThat(merged.samples()).isEqualTo(3);
        assertThat(merged.start()).isEqualTo(T0);
        assertThat(merged.end()).isEqualTo(T2);
        assertThat(merged.counts(Feature.PREDICTED_CLASS)).containsExactly(0, 1, 0, 0, 0, 0, 0, 2, 0, 0);
        assertThat(second.merge(first)).isEqualTo(merged);
        assertThatThrownBy(() -> first.merge(acc.drain("v2", T1, T2)))
                .hasMessageContaining("cannot merge summaries of model v1 and model v2");
    }

    @Test
    void concurrentRecordingLosesNothingEvenAcrossDrains() throws Exception {
        SummaryAccumulator acc = SummaryAccumulator.mnist();
        float[] image = bar(10, 3);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int label = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 20_000; i++) {
                    acc.record(image, label, 0.99f);
                }
            }));
        }
        long drained = 0;
        while (!futures.stream().allMatch(Future::isDone)) {
            drained += acc.drain("v1", T0, T1).samples();
        }
        pool.shutdown();
        drained += acc.drain("v1", T0, T1).samples();

        assertThat(drained).isEqualTo(80_000);
    }

    @Test
    void summaryAndBaselineSurviveAJsonRoundTrip() {
        SummaryAccumulator acc = SummaryAccumulator.mnist();
        acc.record(bar(10, 3), 1, 0.9995f);
        acc.record(bar(5, 15), 7, 0.3f);
        PredictionSummary summary = acc.snapshot("v3", T0, T1);
        Baseline baseline = Baseline.of("test images", summary);

        summary.write(tmp.resolve("s.json"));
        baseline.write(tmp.resolve("b.json"));

        assertThat(PredictionSummary.read(tmp.resolve("s.json"))).isEqualTo(summary);
        assertThat(Baseline.read(tmp.resolve("b.json"))).isEqualTo(baseline);
        assertThat(baseline.modelVersion()).isEqualTo("v3");
    }

    @Test
    void storedFilesOfAnotherFormatOrInconsistentCountsAreRefused() throws Exception {
        PredictionSummary summary = SummaryAccumulator.mnist().snapshot("v3", T0, T1);
        summary.write(tmp.resolve("s.json"));
        String json = Files.readString(tmp.resolve("s.json"));

        Files.writeString(tmp.resolve("f.json"), json.replace("\"formatVersion\" : 1", "\"formatVersion\" : 2"));
        Files.writeString(tmp.resolve("n.json"), json.replace("\"samples\" : 0", "\"samples\" : 5"));

        assertThatThrownBy(() -> PredictionSummary.read(tmp.resolve("f.json")))
                .hasMessageContaining("prediction summary format 2 is not supported");
        assertThatThrownBy(() -> PredictionSummary.read(tmp.resolve("n.json")))
                .hasMessageContaining("samples is 5 but the predicted classes add up to 0");
    }

    @Test
    void outOfRangeClassesAreRejected() {
        assertThatThrownBy(() -> SummaryAccumulator.mnist().record(new float[784], 10, 0.5f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("predicted class 10 outside [0, 10)");
    }
}
