package org.mnistpipeline.server;

import org.mnistpipeline.MnistException.Kind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;

class BatchingPredictorTest {
    @TempDir
    Path tmp;

    /** Answers each image with label = its first pixel; records the size of every call. */
    static final class EchoPredictor implements Predictor {
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile boolean closed;

        @Override
        public Prediction predict(float[] image) {
            return predictBatch(List.of(image)).get(0);
        }

        @Override
        public List<Prediction> predictBatch(List<float[]> images) {
            batchSizes.add(images.size());
            threads.add(Thread.currentThread());
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<Prediction> out = new ArrayList<>();
            for (float[] image : images) {
                if (image[0] < 0) {
                    throw new RequestException(Kind.BAD_INPUT, "negative pixel");
                }
                out.add(new Prediction((int) image[0], 1f, new float[] {1f}, "echo", 0));
            }
            return out;
        }

        @Override
        public String modelVersion() {
            return "echo";
        }

        @Override
        public int inputSize() {
            return 1;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void concurrentCallersShareForwardPassesAndEachGetsItsOwnAnswer() throws Exception {
        EchoPredictor model = new EchoPredictor();
        model.gate = new CountDownLatch(1); // the first pass blocks, so the others queue up behind it
        try (BatchingPredictor batching = new BatchingPredictor(model, 8, 50_000);
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 33; i++) {
                float id = i;
                answers.add(callers.submit(() -> batching.predict(new float[] {id}).label()));
            }
            ModelLifecycleTest.waitFor(() -> !model.batchSizes.isEmpty());
            Thread.sleep(100);
            model.gate.countDown();

            for (int i = 0; i < 33; i++) {
                assertThat(answers.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(i);
            }
            assertThat(model.batchSizes).allMatch(size -> size <= 8);
            assertThat(model.batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(33);
            assertThat(model.batchSizes).as("passes for 33 images").hasSizeLessThan(10);
        }
    }

    @Test
    void withoutAWaitCallersThatQueueDuringAPassShareTheNext() throws Exception {
        EchoPredictor model = new EchoPredictor();
        model.gate = new CountDownLatch(1);
        // The server's default: never wait for company, batch whatever queued meanwhile.
        try (BatchingPredictor batching = new BatchingPredictor(model, 8, 0);
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 17; i++) {
                float id = i;
                answers.add(callers.submit(() -> batching.predict(new float[] {id}).label()));
            }
            ModelLifecycleTest.waitFor(() -> !model.batchSizes.isEmpty());
            Thread.sleep(100);
            model.gate.countDown();

            for (int i = 0; i < 17; i++) {
                assertThat(answers.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(i);
            }
            // The first pass, then at most two full ones for the 16 or fewer that queued behind it.
            assertThat(model.batchSizes).as("passes for 17 images").hasSizeLessThanOrEqualTo(3);
        }
    }

    @Test
    void aBadRequestFailsAloneNotItsBatchNeighbours() throws Exception {
        EchoPredictor model = new EchoPredictor();
        model.gate = new CountDownLatch(1);
        try (BatchingPredictor batching = new BatchingPredictor(model, 16, 50_000);
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> blocker = callers.submit(() -> batching.predict(new float[] {0}).label());
            ModelLifecycleTest.waitFor(() -> !model.batchSizes.isEmpty());
            Future<Integer> good = callers.submit(() -> batching.predict(new float[] {5}).label());
            Future<Integer> bad = callers.submit(() -> batching.predict(new float[] {-1}).label());
            Future<Integer> alsoGood = callers.submit(() -> batching.predict(new float[] {6}).label());
            Thread.sleep(100);
            model.gate.countDown();

            assertThat(blocker.get(10, TimeUnit.SECONDS)).isZero();
            assertThat(good.get(10, TimeUnit.SECONDS)).isEqualTo(5);
            assertThat(alsoGood.get(10, TimeUnit.SECONDS)).isEqualTo(6);
            assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RequestException.class)
                    .hasMessageContaining("negative pixel");
        }
    }

    @Test
    void aLoneRequestDoesNotWaitForCompanyThatIsNotComing() {
        EchoPredictor model = new EchoPredictor();
        // A one-second batching window, but the server says this is its only request in flight.
        try (BatchingPredictor batching = new BatchingPredictor(model, 8, 1_000_000, () -> 1)) {
            long start = System.nanoTime();
            assertThat(batching.predict(new float[] {3}).label()).isEqualTo(3);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(500);
            // ... and runs on the caller's thread: no hand-off to the collector and back.
            assertThat(model.threads).containsExactly(Thread.currentThread());
        }
        // Without that knowledge the window is honoured.
        try (BatchingPredictor batching = new BatchingPredictor(model, 8, 300_000)) {
            long start = System.nanoTime();
            batching.predict(new float[] {3});
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void aRequestThatFillsABatchOnItsOwnSkipsTheQueue() {
        EchoPredictor model = new EchoPredictor();
        try (BatchingPredictor batching = new BatchingPredictor(model, 4, 1_000_000)) {
            long start = System.nanoTime();
            List<Prediction> answers = batching.predictBatch(List.of(new float[] {1}, new float[] {2},
                    new float[] {3}, new float[] {4}, new float[] {5}));

            assertThat(answers).extracting(Prediction::label).containsExactly(1, 2, 3, 4, 5);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(500);
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAtOnceInsteadOfQueueingMore() throws Exception {
        EchoPredictor model = new EchoPredictor();
        model.gate = new CountDownLatch(1); // the collector's first pass blocks; two more wait in the queue
        try (BatchingPredictor batching = new BatchingPredictor(model, 2, 0, () -> Long.MAX_VALUE, 2,
                java.time.Duration.ofSeconds(30));
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Prediction>> waiting = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                float label = i;
                waiting.add(callers.submit(() -> batching.predict(new float[] {label})));
                while (model.batchSizes.isEmpty()) {
                    Thread.sleep(1); // the first is with the model before the next two queue behind it
                }
            }
            await(() -> waiting.stream().allMatch(f -> !f.isDone()) && model.batchSizes.size() == 1, 2_000);
            Thread.sleep(100); // let the two queue

            long start = System.nanoTime();
            assertThatThrownBy(() -> batching.predict(new float[] {9}))
                    .isInstanceOf(RequestException.RetryLater.class)
                    .hasMessageContaining("2 requests are waiting")
                    .satisfies(e -> assertThat(((RequestException.RetryLater) e).retryAfterHeader()).isEqualTo("1"));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(100);

            model.gate.countDown();
            assertThat(waiting.get(0).get().label()).isEqualTo(0);
            assertThat(waiting.get(1).get().label()).isEqualTo(1);
            assertThat(waiting.get(2).get().label()).isEqualTo(2);
        }
    }

    @Test
    void aCallerWaitsAtMostTheTimeoutAndTheModelNeverRunsForItAfterwards() throws Exception {
        EchoPredictor model = new EchoPredictor();
        model.gate = new CountDownLatch(1);
        try (BatchingPredictor batching = new BatchingPredictor(model, 2, 0, () -> Long.MAX_VALUE, 16,
                java.time.Duration.ofMillis(300));
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Prediction> first = callers.submit(() -> batching.predict(new float[] {1}));
            await(() -> model.batchSizes.size() == 1, 2_000);
            long start = System.nanoTime();
            assertThatThrownBy(() -> batching.predict(new float[] {2}))
                    .isInstanceOf(RequestException.RetryLater.class)
                    .hasMessageContaining("no prediction within 300 ms");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 2_000L);
            assertThatThrownBy(first::get).hasCauseInstanceOf(RequestException.RetryLater.class);

            model.gate.countDown();
            assertThat(batching.predict(new float[] {3}).label()).isEqualTo(3);
            // The timed-out requests were never run once the model was free again: only the third was.
            assertThat(model.batchSizes).hasSize(2);
        }
    }

    @Test
    void theCollectorSurvivesAnErrorThrownOutsideTheModelCall() throws Exception {
        EchoPredictor model = new EchoPredictor();
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger(1);
        // The in-flight count is read by the collector between model calls: the one place outside the
        // delegate call an Error can come from without a fault injected into the class itself.
        java.util.function.LongSupplier inFlight = () -> {
            if (Thread.currentThread().getName().startsWith("mnist-batcher") && failures.getAndDecrement() > 0) {
                throw new StackOverflowError("thrown outside the model call");
            }
            return Long.MAX_VALUE;
        };
        try (BatchingPredictor batching = new BatchingPredictor(model, 4, 1_000, inFlight, 16,
                java.time.Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> batching.predict(new float[] {1}))
                    .isInstanceOf(StackOverflowError.class).hasMessage("thrown outside the model call");
            // Before, the collector thread died here and every later request waited forever.
            for (int i = 0; i < 5; i++) {
                assertThat(batching.predict(new float[] {i}).label()).isEqualTo(i);
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("condition not met within " + millis + " ms");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void closeClosesTheWrappedPredictorAndRefusesNewCalls() {
        EchoPredictor model = new EchoPredictor();
        BatchingPredictor batching = new BatchingPredictor(model, 4, 100);
        assertThat(batching.predict(new float[] {3}).label()).isEqualTo(3);

        batching.close();

        assertThat(model.closed).isTrue();
        assertThatThrownBy(() -> batching.predict(new float[] {1})).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void batchingOnAndOffGiveIdenticalAnswersForTheRealModel() throws Exception {
        Path dir = Fixtures.modelDir(tmp.resolve("model"));
        ServerConfig on = Fixtures.config(dir).toBuilder().batching(new ServerConfig.Batching(true, 32, 5_000)).build();
        ServerConfig off = Fixtures.config(dir).toBuilder().batching(ServerConfig.Batching.off()).build();
        List<Integer> digits = IntStream.range(0, 200).boxed().toList();
        try (ModelServer batched = Fixtures.startReady(on); ModelServer single = Fixtures.startReady(off)) {
            List<JsonNode> fromBatched = concurrently(new Http(batched.uri()), digits);
            List<JsonNode> fromSingle = concurrently(new Http(single.uri()), digits);

            // Bit for bit: the network treats every image of a batch independently, so batching may
            // change only when an answer comes, never what it is.
            assertThat(fromBatched).containsExactlyElementsOf(fromSingle);
            String metrics = new Http(batched.uri()).get("/metrics").body();
            assertThat(passesOfOne(metrics)).as("batched server: some passes held several requests")
                    .isLessThan(count(metrics));
            assertThat(Http.json(new Http(single.uri()).get("/models")).path("batching").path("enabled").asBoolean())
                    .isFalse();
        }
    }

    private static List<JsonNode> concurrently(Http http, List<Integer> digits) throws Exception {
        try (ExecutorService clients = Executors.newFixedThreadPool(32)) {
            List<Future<JsonNode>> answers = new ArrayList<>();
            for (int i : digits) {
                answers.add(clients.submit(() -> Http.json(http.post("/invocations", "application/json",
                        Digits.json(List.of(i)))).path("predictions").get(0)));
            }
            List<JsonNode> out = new ArrayList<>();
            for (Future<JsonNode> answer : answers) {
                out.add(answer.get());
            }
            return out;
        }
    }

    private static long passesOfOne(String metrics) {
        return sample(metrics, "mnist_batch_size_bucket{le=\"1\"}");
    }

    private static long count(String metrics) {
        return sample(metrics, "mnist_batch_size_count");
    }

    private static long sample(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> Long.parseLong(
                l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
    }
}
