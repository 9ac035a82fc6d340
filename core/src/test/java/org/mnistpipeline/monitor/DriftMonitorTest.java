package org.mnistpipeline.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.io.Locations;

/**
 * Drift checks over stored summaries of real MNIST digits. No model here (core has no engine):
 * the "prediction" is the true label with a fixed confidence, so only the input statistics can
 * move; the server test covers real predictions.
 */
class DriftMonitorTest {
    private static final Instant NOW = Instant.parse("2026-11-28T05:00:00Z");
    private static LabeledImages test;
    private static Baseline baseline;
    private static LabeledImages sample;

    @TempDir
    Path tmp;

    @BeforeAll
    static void baselineFromTheTestSet() {
        test = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir());
        baseline = Baseline.of("MNIST test set", summarise(test, 0, test.size(), NOW.minusSeconds(3600), NOW));
        // The test set's two halves come from different writers (and differ measurably in slant
        // and ink), so windows take every 16th image across both, as random traffic would.
        int[] spread = new int[625];
        for (int i = 0; i < spread.length; i++) {
            spread[i] = i * 16 + 5;
        }
        sample = test.select(spread);
    }

    private static PredictionSummary summarise(LabeledImages images, int from, int to, Instant start, Instant end) {
        SummaryAccumulator acc = SummaryAccumulator.mnist();
        float[] x = new float[784];
        for (int i = from; i < to; i++) {
            images.imageAsFloats(i, x, 0);
            acc.record(x, images.label(i), 0.999f);
        }
        return acc.drain("v1", start, end);
    }

    /** Stores images [from, to) as two one-minute windows ending a few minutes before NOW. */
    private void storeWindows(LabeledImages images, int from, int to) {
        SummaryStore store = SummaryStore.local(tmp);
        int mid = (from + to) / 2;
        store.write(summarise(images, from, mid, NOW.minusSeconds(300), NOW.minusSeconds(240)), "a");
        store.write(summarise(images, mid, to, NOW.minusSeconds(240), NOW.minusSeconds(180)), "a");
    }

    @Test
    void unshiftedDigitsAreNotDrift() {
        storeWindows(sample, 0, 600);

        DriftReport report = DriftMonitor.check(tmp, "v1", baseline, Duration.ofHours(1), NOW, 0.2);

        assertThat(report.status()).as(report.verdict()).isEqualTo(DriftReport.Status.NO_DRIFT);
        assertThat(report.samples()).isEqualTo(600);
        assertThat(report.summaryFiles()).isEqualTo(2);
        assertThat(report.worstPsi()).isLessThan(0.1);
        assertThat(report.psi()).containsOnlyKeys(java.util.Arrays.stream(Feature.values()).map(Feature::key).toList());
    }

    @Test
    void thickenedAndSlantedDigitsAreDriftOnInkAndSlant() {
        storeWindows(Shifts.apply(sample, "thick+slant:15", 1), 0, 600);

        DriftReport report = DriftMonitor.check(tmp, "v1", baseline, Duration.ofHours(1), NOW, 0.2);

        assertThat(report.status()).as(report.verdict()).isEqualTo(DriftReport.Status.DRIFT);
        assertThat(report.driftedFeatures()).contains("meanIntensity", "inkFraction", "slant");
        assertThat(report.psi().get("slant")).isGreaterThan(0.5);
        assertThat(report.psi().get("predictedClass")).isLessThan(0.1); // labels, unchanged here
        assertThat(report.verdict()).startsWith("DRIFT: model v1");
    }

    @Test
    void tooFewSamplesAreInsufficientDataNotAnAlarm() {
        storeWindows(Shifts.apply(sample, "thick+slant:15", 1), 0, 100);

        DriftReport report = DriftMonitor.check(tmp, "v1", baseline, Duration.ofHours(1), NOW, 0.2);

        assertThat(report.status()).isEqualTo(DriftReport.Status.INSUFFICIENT_DATA);
        assertThat(report.drifted()).isFalse();
        assertThat(report.verdict()).isEqualTo("insufficient data: model v1, 100 samples in the window, 300 needed");
    }

    @Test
    void onlyWindowsInsideTheSpanCountAndUnreadableFilesAreSkipped() throws Exception {
        storeWindows(Shifts.apply(sample, "thick+slant:15", 1), 0, 600); // 3 to 5 minutes ago
        Files.writeString(tmp.resolve("v1/20261128T045900.000Z-b.json"), "{ torn");

        DriftReport lastTwoMinutes = DriftMonitor.check(tmp, "v1", baseline, Duration.ofMinutes(2), NOW, 0.2);
        DriftReport lastHour = DriftMonitor.check(tmp, "v1", baseline, Duration.ofHours(1), NOW, 0.2);

        assertThat(lastTwoMinutes.samples()).isZero();
        assertThat(lastTwoMinutes.skippedFiles()).isEqualTo(1);
        assertThat(lastTwoMinutes.status()).isEqualTo(DriftReport.Status.INSUFFICIENT_DATA);
        assertThat(lastTwoMinutes.psi()).isEmpty();
        assertThat(lastHour.samples()).isEqualTo(600);
        assertThat(lastHour.skippedFiles()).isEqualTo(1);
    }

    @Test
    void filesNamedForAWindowFarOutsideTheSpanAreNotEvenOpened() throws Exception {
        Files.createDirectories(tmp.resolve("v1"));
        // Torn, but named for a window two days back or in the future: skipped by name, not counted.
        Files.writeString(tmp.resolve("v1/20261126T050000.000Z-x.json"), "{ torn");
        Files.writeString(tmp.resolve("v1/20261128T060000.000Z-x.json"), "{ torn");
        Files.writeString(tmp.resolve("v1/not-a-time.json"), "{ torn");

        DriftReport report = DriftMonitor.check(tmp, "v1", baseline, Duration.ofHours(1), NOW, 0.2);

        assertThat(report.skippedFiles()).isEqualTo(1); // only the one whose name says nothing
    }

    @Test
    void aBaselineOfAnotherModelOrBadArgumentsAreRefused() {
        assertThatThrownBy(() -> DriftMonitor.check(tmp, "v2", baseline, Duration.ofHours(1), NOW, 0.2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the baseline is of model v1, not v2");
        assertThatThrownBy(() -> DriftMonitor.check(tmp, "v1", baseline, Duration.ZERO, NOW, 0.2))
                .hasMessageContaining("window must be positive");
        assertThatThrownBy(() -> DriftMonitor.check(tmp, "v1", baseline, Duration.ofHours(1), NOW, 0))
                .hasMessageContaining("threshold must be a positive number");
        assertThatThrownBy(() -> SummaryStore.local(tmp).read("../etc", NOW, NOW))
                .hasMessageContaining("cannot name a file");
    }
}
