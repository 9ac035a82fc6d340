package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.PredictorOptions;

/**
 * A model that cannot be loaded is tried again after a backoff (1 s, doubling to a minute), by one
 * request at a time; every other request gets 503 with {@code Retry-After} at once. Loads are
 * counted around the real loader reading a real model directory.
 */
class ModelRetryTest {
    @TempDir
    Path tmp;

    /** The fixture model copied to {@code tmp/model} without its model.onnx; returns where the ONNX file went. */
    private Path brokenModelDir() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        try (var files = Files.list(Harness.modelDir())) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName().toString()));
            }
        }
        Path aside = tmp.resolve("model.onnx.aside");
        Files.move(dir.resolve("model.onnx"), aside);
        return aside;
    }

    private void repair(Path aside) throws IOException {
        Files.copy(aside, tmp.resolve("model/model.onnx"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** The real loader on {@code tmp/model}, counting its calls. */
    private ModelLoader counted(AtomicInteger loads) {
        LocalModelLoader real = new LocalModelLoader(tmp.resolve("model"));
        return () -> {
            loads.incrementAndGet();
            return real.load();
        };
    }

    private static String retryAfter(JsonNode response) {
        return response.path("headers").path("retry-after").asText(null);
    }

    @Test
    void aFailedLoadIsRetriedAfterItsBackoffAndRequestsMeanwhileAre503WithRetryAfterAndNoLoad() throws Exception {
        Path aside = brokenModelDir();
        AtomicInteger loads = new AtomicInteger();
        Harness h = new Harness(LambdaConfig.defaults(tmp.resolve("model")).withWarmUpRuns(0), counted(loads),
                BatchScorer.unavailable());
        assertThat(loads).as("init tried once").hasValue(1);

        JsonNode ping = h.invoke("apigw-v2-ping.json");
        JsonNode predict = h.invoke("apigw-v2-png.json");

        assertThat(ping.get("statusCode").asInt()).isEqualTo(503);
        assertThat(retryAfter(ping)).isEqualTo("1");
        assertThat(predict.get("statusCode").asInt()).isEqualTo(503);
        assertThat(Harness.body(predict).get("error").asText()).contains("could not be loaded");
        assertThat(loads).as("no request loads during the backoff").hasValue(1);

        repair(aside);
        Thread.sleep(ModelHolder.FIRST_RETRY.toMillis() + 100);
        JsonNode healed = h.invoke("apigw-v2-png.json");

        assertThat(healed.get("statusCode").asInt()).isEqualTo(200);
        assertThat(loads).hasValue(2);
        assertThat(h.invoke("apigw-v2-ping.json").get("statusCode").asInt()).isEqualTo(200);
        assertThat(loads).hasValue(2);
    }

    @Test
    void whileOneRequestLoadsTheOthersAreAnsweredAtOnceInsteadOfWaitingOnALock() throws Exception {
        Path aside = brokenModelDir();
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ModelLoader real = counted(loads);
        ModelLoader slowSecondLoad = () -> {
            if (loads.get() >= 1) { // the init attempt fails at once; the next one takes its time
                loading.countDown();
                await(release);
            }
            return real.load();
        };
        Harness h = new Harness(LambdaConfig.defaults(tmp.resolve("model")).withWarmUpRuns(0), slowSecondLoad,
                BatchScorer.unavailable());
        repair(aside);
        Thread.sleep(ModelHolder.FIRST_RETRY.toMillis() + 100);

        CompletableFuture<JsonNode> loader = CompletableFuture.supplyAsync(() -> h.invoke("apigw-v2-png.json"));
        assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
        long start = System.nanoTime();
        JsonNode other = h.invoke("apigw-v2-png.json");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        release.countDown();

        assertThat(other.get("statusCode").asInt()).isEqualTo(503);
        assertThat(retryAfter(other)).isEqualTo("1");
        assertThat(Harness.body(other).get("error").asText()).contains("being loaded");
        assertThat(millis).as("answered while the load was still blocked").isLessThan(5_000);
        assertThat(loader.get(30, TimeUnit.SECONDS).get("statusCode").asInt()).isEqualTo(200);
        assertThat(loads).hasValue(2);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-12-03T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void theBackoffDoublesFromOneSecondToAMinuteAndResetsAfterALoad() throws Exception {
        Path aside = brokenModelDir();
        AtomicInteger loads = new AtomicInteger();
        ManualClock clock = new ManualClock();
        ModelHolder holder = new ModelHolder(counted(loads), (LoadedModel loaded) -> OnnxPredictor.fromBytes(
                loaded.onnx(), loaded.version(), PredictorOptions.defaults().withIntraOpThreads(1)), clock);

        long[] expected = {1, 2, 4, 8, 16, 32, 60, 60};
        for (long seconds : expected) {
            assertThatThrownBy(holder::get).isInstanceOfSatisfying(RequestException.RetryLater.class,
                    e -> assertThat(e.afterSeconds()).isEqualTo(seconds));
            clock.advance(Duration.ofSeconds(seconds).minusMillis(1));
            assertThatThrownBy(holder::get).isInstanceOf(RequestException.RetryLater.class);
            clock.advance(Duration.ofMillis(1));
        }
        assertThat(loads).hasValue(expected.length);

        repair(aside);
        assertThat(holder.get().modelVersion()).isEqualTo("v1");
        assertThat(loads).hasValue(expected.length + 1);
    }
}
