package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.registry.LocalModelRegistry;

/** Start-up, hot reload and shutdown: what happens to requests while the model changes under them. */
class ModelLifecycleTest {
    @TempDir
    Path tmp;

    @Test
    void pingAnswers503UntilTheModelIsLoadedAndWarmedThen200() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ModelSource real = ModelSource.directory(Fixtures.modelDir(tmp.resolve("model")));
        ModelSource slow = new ModelSource() {
            @Override
            public String fingerprint() {
                return real.fingerprint();
            }

            @Override
            public LoadedModel load() {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return real.load();
            }

            @Override
            public String describe() {
                return "slow " + real.describe();
            }
        };
        try (ModelServer server = ModelServer.start(Fixtures.config(tmp).toBuilder().modelSource(slow).build())) {
            Http http = new Http(server.uri());
            HttpResponse<String> loading = http.get("/ping");
            HttpResponse<String> invocation = http.post("/invocations", "image/png", Digits.png(0));
            HttpResponse<String> metrics = http.get("/metrics");

            assertThat(loading.statusCode()).isEqualTo(503);
            assertThat(ModelServerTest.error(loading)).contains("no model loaded yet");
            assertThat(invocation.statusCode()).isEqualTo(503);
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).doesNotContain("mnist_model_info{");

            long start = System.nanoTime();
            release.countDown();
            assertThat(server.awaitReady(Duration.ofSeconds(20))).isTrue();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(http.get("/ping").statusCode()).isEqualTo(200);
            assertThat(millis).as("load and warm-up, ms").isLessThan(10_000);
            assertThat(http.post("/invocations", "image/png", Digits.png(0)).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aMissingModelKeepsPingAt503UntilOneArrives() throws Exception {
        Path dir = tmp.resolve("later");
        try (ModelServer server = ModelServer.start(Fixtures.config(dir))) {
            Http http = new Http(server.uri());
            assertThat(http.get("/ping").statusCode()).isEqualTo(503);

            Fixtures.modelDir(dir);

            assertThat(server.awaitReady(Duration.ofSeconds(20))).isTrue();
            assertThat(http.get("/ping").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void hotReloadSwapsTheVersionWhileAClientKeepsSendingWithNoFailures() throws Exception {
        Path dir = Fixtures.modelDir(tmp.resolve("model"));
        try (ModelServer server = Fixtures.startReady(Fixtures.config(dir))) {
            Http http = new Http(server.uri());
            byte[] digit = Digits.png(7);
            List<Integer> failures = new CopyOnWriteArrayList<>();
            Set<String> versions = ConcurrentHashMap.newKeySet();
            AtomicInteger sent = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> clients = List.of(1, 2, 3).stream().map(n -> Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        HttpResponse<String> r = http.post("/invocations", "image/png", digit);
                        sent.incrementAndGet();
                        if (r.statusCode() != 200) {
                            failures.add(r.statusCode());
                        } else {
                            versions.add(Http.json(r).path("model_version").asText());
                        }
                    } catch (UncheckedIOException e) {
                        failures.add(-1);
                    }
                }
            })).toList();
            awaitCount(sent, 20);

            Fixtures.relabel(dir, "v2");
            waitFor(() -> "v2".equals(Http.json(http.get("/models")).path("version").asText()));
            int atSwap = sent.get();
            awaitCount(sent, atSwap + 20);
            stop.set(true);
            for (Thread client : clients) {
                client.join();
            }

            assertThat(failures).as("non-200 answers").isEmpty();
            assertThat(versions).containsExactlyInAnyOrder("v1", "v2");
            String metrics = http.get("/metrics").body();
            assertThat(metrics).contains("mnist_model_info{version=\"v2\"} 1").doesNotContain("version=\"v1\"");
            assertThat(metrics).contains("mnist_model_reloads_total 1");
            assertThat(server.modelVersion()).hasValue("v2");
        }
    }

    @Test
    void aBrokenNewModelIsRefusedAndTheOldOneKeepsServing() throws Exception {
        Path dir = Fixtures.modelDir(tmp.resolve("model"));
        try (ModelServer server = Fixtures.startReady(Fixtures.config(dir))) {
            Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 3}); // no longer matches SHA256SUMS

            assertThat(server.reloadNow()).isFalse();
            Http http = new Http(server.uri());
            assertThat(http.get("/ping").statusCode()).isEqualTo(200);
            assertThat(http.post("/invocations", "image/png", Digits.png(0)).statusCode()).isEqualTo(200);
            assertThat(server.modelVersion()).hasValue("v1");
        }
    }

    @Test
    void promotingAnotherRegistryVersionToProductionSwapsTheServedModel() throws Exception {
        LocalModelRegistry registry = new LocalModelRegistry(tmp.resolve("registry"));
        String v1 = registry.register(Fixtures.stagedPackage(tmp.resolve("staged1"))).version();
        String v2 = registry.register(Fixtures.stagedPackage(tmp.resolve("staged2"))).version();
        registry.promote(v1, ModelSource.PRODUCTION);
        ServerConfig config = Fixtures.config(tmp).toBuilder().modelSource(ModelSource.registry(registry, "production"))
                .reloadInterval(Duration.ofHours(1)).build();
        try (ModelServer server = Fixtures.startReady(config)) {
            Http http = new Http(server.uri());
            assertThat(Http.json(http.get("/models")).path("version").asText()).isEqualTo(v1);

            registry.promote(v2, ModelSource.PRODUCTION);

            assertThat(server.reloadNow()).isTrue();
            assertThat(Http.json(http.get("/models")).path("version").asText()).isEqualTo(v2);
            assertThat(Http.json(http.post("/invocations", "image/png", Digits.png(0))).path("model_version").asText())
                    .isEqualTo(v2);
        }
    }

    @Test
    void aVersionThatFailedToLoadIsLoadedOnceExportGivesItAModel() throws Exception {
        LocalModelRegistry registry = new LocalModelRegistry(tmp.resolve("registry"));
        String v1 = registry.register(Fixtures.stagedPackage(tmp.resolve("staged1"))).version();
        Path withoutOnnx = Fixtures.stagedPackage(tmp.resolve("staged2"));
        byte[] onnx = Files.readAllBytes(withoutOnnx.resolve("model.onnx"));
        Files.delete(withoutOnnx.resolve("model.onnx")); // registered before export existed
        String v2 = registry.register(withoutOnnx).version();
        registry.promote(v1, ModelSource.PRODUCTION);
        ServerConfig config = Fixtures.config(tmp).toBuilder().modelSource(ModelSource.registry(registry, "production"))
                .reloadInterval(Duration.ofHours(1)).build();
        try (ModelServer server = Fixtures.startReady(config)) {
            registry.promote(v2, ModelSource.PRODUCTION);
            assertThat(server.reloadNow()).as("v2 has no model.onnx yet").isFalse();
            assertThat(server.reloadNow()).as("unchanged: not tried again").isFalse();
            assertThat(server.modelVersion()).hasValue(v1);

            registry.addFiles(v2, java.util.Map.of("model.onnx", onnx)); // what `mnist models export v2` does

            assertThat(server.reloadNow()).isTrue();
            assertThat(server.modelVersion()).hasValue(v2);
            assertThat(Http.json(new Http(server.uri()).post("/invocations", "image/png", Digits.png(0)))
                    .path("model_version").asText()).isEqualTo(v2);
        }
    }

    @Test
    void closeStopsAcceptingAndLetsInFlightRequestsFinish() throws Exception {
        ModelServer server = Fixtures.startReady(Fixtures.config(Fixtures.modelDir(tmp.resolve("model"))));
        Http http = new Http(server.uri());
        try (SlowRequest request = new SlowRequest(server.port(), "image/png", Digits.png(4))) {
            waitFor(() -> inFlight(http) >= 2); // ours, and the /metrics request asking

            Thread closing = Thread.ofPlatform().start(server::close);
            waitFor(() -> !server.isReady());
            Thread.sleep(200);

            assertThat(closing.isAlive()).as("close() waits for the request").isTrue();
            assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", server.port()).close()).as("new connections")
                    .isInstanceOf(java.net.ConnectException.class);
            String response = request.finish();
            closing.join(10_000);

            assertThat(response).startsWith("HTTP/1.1 200").contains("\"label\":" + Digits.label(4));
            assertThat(closing.isAlive()).isFalse();
        }
    }

    private static long inFlight(Http http) {
        return http.get("/metrics").body().lines().filter(l -> l.startsWith("mnist_requests_in_flight "))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(0);
    }

    private static void awaitCount(AtomicInteger counter, int target) throws InterruptedException {
        waitFor(() -> counter.get() >= target);
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            Thread.sleep(10);
        }
    }
}
