package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Locations;

class ServerMainTest {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)");

    @TempDir
    Path tmp;

    @Test
    void flagsSetHostPortModelDirAndBatching() {
        ServerConfig config = parse(Map.of(), "--host", "0.0.0.0", "--port", "9090", "--model-dir", "/models/m",
                "--max-batch", "64", "--max-wait-us", "250");

        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isEqualTo(9090);
        assertThat(config.modelSource().describe()).isEqualTo("model directory /models/m");
        assertThat(config.batching()).isEqualTo(new ServerConfig.Batching(true, 64, 250));
        assertThat(parse(Map.of(), "--no-batching").batching().enabled()).isFalse();
        // The container entrypoint binds 0.0.0.0 and lets a later --host win.
        assertThat(parse(Map.of(), "--host", "0.0.0.0", "--host", "127.0.0.1").host()).isEqualTo("127.0.0.1");
    }

    @Test
    void monitoringGoesToMnistHomeUnlessTurnedOffOrPointedElsewhere() {
        Locations locations = Locations.from(Map.of("MNIST_HOME", "/home/u/.mnist"), tmp);
        ServerConfig.Monitoring plain = ServerMain.parse(new String[0], Map.of(), locations).orElseThrow().monitoring();
        ServerConfig.Monitoring flags = parse(Map.of(), "--monitor-dir", "/var/mon", "--monitor-sample-rate", "0.1",
                "--monitor-interval", "2.5").monitoring();

        assertThat(plain).isEqualTo(new ServerConfig.Monitoring(Path.of("/home/u/.mnist/monitoring"), 1.0,
                Duration.ofSeconds(60)));
        assertThat(flags).isEqualTo(new ServerConfig.Monitoring(Path.of("/var/mon"), 0.1, Duration.ofMillis(2500)));
        assertThat(parse(Map.of(), "--no-monitor").monitoring().enabled()).isFalse();
        assertThatThrownBy(() -> parse(Map.of(), "--monitor-sample-rate", "0"))
                .hasMessageContaining("monitoring sample rate must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> parse(Map.of(), "--monitor-sample-rate", "most"))
                .hasMessageContaining("--monitor-sample-rate needs a number, got 'most'");
    }

    @Test
    void withoutFlagsTheServerListensOnLoopbackAtTheSageMakerPortOr8080() {
        ServerConfig plain = parse(Map.of());
        ServerConfig sageMaker = parse(Map.of("SAGEMAKER_BIND_TO_PORT", "8081"));

        assertThat(plain.host()).isEqualTo("127.0.0.1");
        assertThat(plain.port()).isEqualTo(8080);
        assertThat(sageMaker.port()).isEqualTo(8081);
        assertThat(plain.batching()).isEqualTo(new ServerConfig.Batching(true, 32, 0));
        assertThat(plain.maxBodyBytes()).isEqualTo(6L * 1024 * 1024);
        assertThat(plain.maxPixels()).isEqualTo(40_000_000L);
        assertThat(plain.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void modelComesFromTheFlagThenMnistModelDirThenOptMlModelThenTheRegistry() throws Exception {
        Locations locations = Locations.from(Map.of("MNIST_HOME", tmp.resolve("home").toString()), tmp);
        Path sageMaker = Files.createDirectories(tmp.resolve("opt/ml/model"));
        Path absent = tmp.resolve("absent");
        Map<String, String> env = Map.of("MNIST_MODEL_DIR", "/from/env");

        assertThat(ModelSource.resolve(Optional.of(Path.of("/from/flag")), env, sageMaker, locations).describe())
                .isEqualTo("model directory /from/flag");
        assertThat(ModelSource.resolve(Optional.empty(), env, sageMaker, locations).describe())
                .isEqualTo("model directory /from/env");
        assertThat(ModelSource.resolve(Optional.empty(), Map.of(), sageMaker, locations).describe())
                .isEqualTo("model directory " + sageMaker);
        assertThat(ModelSource.resolve(Optional.empty(), Map.of(), absent, locations).describe())
                .isEqualTo("registry alias 'production'");
    }

    @Test
    void badArgumentsExitWith2AndSayWhy() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);

        int code = ServerMain.run(new String[] {"--port", "eighty"}, Map.of(), System.out, errStream);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--port needs a whole number, got 'eighty'")
                .contains("Usage:");
        assertThatThrownBy(() -> parse(Map.of(), "--max-batch", "0")).hasMessageContaining("maxBatch");
        assertThatThrownBy(() -> parse(Map.of(), "--verbose")).hasMessageContaining("unknown argument '--verbose'");
        assertThatThrownBy(() -> parse(Map.of(), "--host")).hasMessageContaining("--host needs a value");
    }

    @Test
    void sigtermFinishesTheInFlightRequestAndExitsZero() throws Exception {
        Path model = Fixtures.modelDir(tmp.resolve("model"));
        // To a file, not a pipe: Process.destroy() closes the pipes, and the log after SIGTERM matters.
        Path log = tmp.resolve("server.log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ServerMain.class.getName(), "--port", "0", "--model-dir", model.toString(),
                "--monitor-dir", tmp.resolve("monitoring").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        java.util.function.Supplier<List<String>> output = () -> {
            try {
                return Files.readAllLines(log);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try {
            ModelLifecycleTest.waitFor(() -> output.get().stream().anyMatch(l -> LISTENING.matcher(l).find())
                    || !process.isAlive());
            Matcher listening = output.get().stream().map(LISTENING::matcher).filter(Matcher::find).findFirst()
                    .orElseThrow(() -> new AssertionError("server did not start: " + output.get()));
            URI uri = URI.create(listening.group(1));
            Http http = new Http(uri);
            ModelLifecycleTest.waitFor(() -> http.get("/ping").statusCode() == 200);

            try (SlowRequest request = new SlowRequest(uri.getPort(), "image/png", Digits.png(2))) {
                ModelLifecycleTest.waitFor(() -> http.get("/metrics").body().contains("mnist_requests_in_flight 2"));

                process.destroy(); // SIGTERM
                ModelLifecycleTest.waitFor(() -> output.get().stream().anyMatch(l -> l.contains("stopping")));
                Thread.sleep(300);
                assertThat(process.isAlive()).as("still finishing the request").isTrue();

                String response = request.finish();

                assertThat(response).startsWith("HTTP/1.1 200").contains("\"label\":" + Digits.label(2));
            }
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
            assertThat(process.exitValue()).as(String.join("\n", output.get())).isZero();
            assertThat(output.get()).anyMatch(l -> l.contains("stopped after"));
            // The drift-monitoring window still open at SIGTERM was written on the way out.
            var summaries = org.mnistpipeline.monitor.SummaryStore.local(tmp.resolve("monitoring"))
                    .read("v1", java.time.Instant.EPOCH, java.time.Instant.now()).summaries();
            assertThat(summaries).hasSize(1);
            assertThat(summaries.getFirst().samples()).isEqualTo(1);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; server output:\n" + String.join("\n", output.get()), e);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aClientThatTricklesItsRequestIsCutOff() throws Exception {
        Path model = Fixtures.modelDir(tmp.resolve("model"));
        Path log = tmp.resolve("slow.log");
        // The server sets a 30 s limit by default; one second here keeps the test short.
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-D" + ModelServer.MAX_REQUEST_SECONDS + "=1", "-cp",
                System.getProperty("java.class.path"), ServerMain.class.getName(), "--port", "0", "--model-dir",
                model.toString(), "--no-monitor").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            ModelLifecycleTest.waitFor(() -> readLines(log).stream().anyMatch(l -> LISTENING.matcher(l).find())
                    || !process.isAlive());
            Matcher listening = readLines(log).stream().map(LISTENING::matcher).filter(Matcher::find).findFirst()
                    .orElseThrow(() -> new AssertionError("server did not start: " + readLines(log)));
            URI uri = URI.create(listening.group(1));
            // Serving first (the model loads after the port opens), so that the 200 below is about the cut-off only.
            ModelLifecycleTest.waitFor(() -> new Http(uri).get("/ping").statusCode() == 200);
            try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
                socket.setSoTimeout(15_000);
                socket.getOutputStream().write("POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Le"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                long start = System.nanoTime();
                int read;
                try {
                    read = socket.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    read = -1;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                assertThat(read).as("connection closed, not answered").isEqualTo(-1);
                assertThat(seconds).as("cut off after about a second").isBetween(0.5, 10.0);
            }
            // The server is fine: the next request is answered.
            assertThat(new Http(uri).get("/ping").statusCode()).isEqualTo(200);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void slowClientLimitsAreOnByDefault() throws Exception {
        Path model = Fixtures.modelDir(tmp.resolve("model"));
        try (ModelServer server = ModelServer.start(ServerConfig.builder(new DirectoryModelSource(model))
                .port(0).build())) {
            assertThat(System.getProperty(ModelServer.MAX_REQUEST_SECONDS)).isNotNull();
            assertThat(System.getProperty(ModelServer.MAX_RESPONSE_SECONDS)).isNotNull();
        }
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ServerConfig parse(Map<String, String> env, String... args) {
        return ServerMain.parse(args, env, Locations.from(Map.of(), Path.of("/nonexistent-home"))).orElseThrow();
    }
}
