package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.inference.Baselines;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.monitor.DriftMonitor;
import org.mnistpipeline.monitor.DriftReport;
import org.mnistpipeline.monitor.SummaryStore;

/**
 * The drift test with real parts: the real server on loopback with the fixture model
 * summarises what it serves into files, and {@link DriftMonitor#check} compares them with the
 * model's baseline on the MNIST test set; ordinary test digits are no drift, thickened and
 * slanted ones are.
 */
class DriftMonitoringTest {
    private static final int SAMPLE = 400;

    @TempDir
    Path tmp;

    /** The model's own predictions on all 10,000 test images, as `mnist monitor` computes them. */
    private static Baseline baseline(Path onnx) {
        try (OnnxPredictor predictor = OnnxPredictor.fromFile(onnx, Fixtures.VERSION, PredictorOptions.defaults())) {
            return Baselines.compute(predictor, Digits.test(), "MNIST test set");
        }
    }

    /** Every 25th test image: both halves of the test set (different writers), as real traffic mixes. */
    private static LabeledImages spreadSample() {
        return Digits.test().select(IntStream.range(0, SAMPLE).map(i -> i * 25 + 3).toArray());
    }

    /** Posts the images as JSON tensors, 50 per request. */
    private static void post(Http http, LabeledImages images) {
        for (int from = 0; from < images.size(); from += 50) {
            String body = IntStream.range(from, Math.min(images.size(), from + 50)).mapToObj(i -> {
                float[] x = new float[784];
                images.imageAsFloats(i, x, 0);
                StringBuilder row = new StringBuilder();
                for (int k = 0; k < x.length; k++) {
                    row.append(k == 0 ? "" : ",").append(x[k]);
                }
                return row.toString();
            }).collect(Collectors.joining("],[", "{\"instances\":[[", "]]}"));
            HttpResponse<String> response = http.post("/invocations", "application/json", body);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
    }

    private static long storedSamples(Path dir, Instant from) {
        return SummaryStore.local(dir).read(Fixtures.VERSION, from, Instant.now().plusSeconds(60)).summaries().stream()
                .mapToLong(s -> s.samples()).sum();
    }

    @Test
    void shiftedTrafficIsReportedAsDriftAndOrdinaryTrafficIsNot() throws Exception {
        Path modelDir = Fixtures.modelDir(tmp.resolve("model"));
        Path monitoring = tmp.resolve("monitoring");
        Baseline baseline = baseline(modelDir.resolve("model.onnx"));
        LabeledImages sample = spreadSample();
        ServerConfig config = Fixtures.config(modelDir).toBuilder().monitoring(
                ServerConfig.Monitoring.to(monitoring).withFlushInterval(Duration.ofMillis(300))).build();

        try (ModelServer server = Fixtures.startReady(config)) {
            Http http = new Http(server.uri());
            Instant start = Instant.now().minusMillis(1);

            post(http, sample);
            ModelLifecycleTest.waitFor(() -> storedSamples(monitoring, start) == SAMPLE);
            Instant shiftStart = Instant.now();
            DriftReport ordinary = DriftMonitor.check(monitoring, Fixtures.VERSION, baseline,
                    Duration.between(start, shiftStart), shiftStart, DriftMonitor.DEFAULT_THRESHOLD);

            post(http, Shifts.apply(sample, "thick+slant:15", 42));
            ModelLifecycleTest.waitFor(() -> storedSamples(monitoring, shiftStart) == SAMPLE);
            Instant end = Instant.now();
            DriftReport shifted = DriftMonitor.check(monitoring, Fixtures.VERSION, baseline,
                    Duration.between(shiftStart, end), end, DriftMonitor.DEFAULT_THRESHOLD);

            assertThat(ordinary.status()).as(ordinary.verdict() + " " + ordinary.psi())
                    .isEqualTo(DriftReport.Status.NO_DRIFT);
            assertThat(ordinary.samples()).isEqualTo(SAMPLE);
            assertThat(ordinary.worstPsi()).isLessThan(0.1);

            assertThat(shifted.status()).as(shifted.verdict() + " " + shifted.psi()).isEqualTo(DriftReport.Status.DRIFT);
            assertThat(shifted.samples()).isEqualTo(SAMPLE);
            assertThat(shifted.driftedFeatures()).contains("meanIntensity", "inkFraction", "slant");
            assertThat(shifted.psi().get("slant")).isGreaterThan(DriftMonitor.DEFAULT_THRESHOLD);
            // The model itself notices: it is less sure of thick, slanted digits.
            assertThat(shifted.psi().get("confidence")).isGreaterThan(ordinary.psi().get("confidence"));

            assertThat(http.get("/metrics").body()).contains("mnist_monitor_samples_total " + 2 * SAMPLE)
                    .contains("mnist_monitor_write_failures_total 0");
        }
    }

    @Test
    void aSampleRateCountsAboutThatShareAndShutdownWritesTheLastWindow() throws Exception {
        Path modelDir = Fixtures.modelDir(tmp.resolve("model"));
        Path monitoring = tmp.resolve("monitoring");
        // A window far longer than the test: only the flush at shutdown can write it.
        ServerConfig config = Fixtures.config(modelDir).toBuilder().monitoring(ServerConfig.Monitoring.to(monitoring)
                .withSampleRate(0.25).withFlushInterval(Duration.ofHours(1))).build();
        Instant start = Instant.now();
        ModelServer server = Fixtures.startReady(config);
        post(new Http(server.uri()), spreadSample());
        assertThat(storedSamples(monitoring, start)).isZero();

        server.close();

        long stored = storedSamples(monitoring, start);
        // Binomial(400, 0.25): mean 100, standard deviation 8.7; 40..160 is about 7 deviations.
        assertThat(stored).isBetween(40L, 160L);
    }
}
