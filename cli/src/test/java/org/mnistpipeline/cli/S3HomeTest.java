package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.ObjectPath;

/**
 * The whole loop with {@code MNIST_HOME=s3://bucket/home} against moto's S3 server, every command
 * in its own JVM as a user runs it: train and promote, serve (following the production alias in
 * S3), ingest a batch, retrain (the incremental challenger promoted), the server reloading after
 * each promotion and rollback, and the records read back. Real MNIST, the small CNN, one epoch.
 *
 * <p>Each process gets a fresh, empty cache directory (only the PyTorch natives are linked in, to
 * save unpacking 430 MB), a fresh {@code user.home} and an empty working directory; afterwards the
 * working directory is still empty, {@code user.home} holds only the JDK's own caches, the cache
 * holds only scratch, and with the scratch deleted every record still reads back the same from S3.
 */
class S3HomeTest {
    private static MotoBucket motoBucket;
    private static org.mnistpipeline.testsupport.MotoServer moto;
    private static S3Objects s3;

    @TempDir
    Path tmp;

    private ObjectPath home;
    private Path cache;
    private Path userHome;
    private Path cwd;

    @BeforeAll
    static void start() throws Exception {
        motoBucket = MotoBucket.start();
        moto = motoBucket.moto;
        s3 = motoBucket.storage;
    }

    @AfterAll
    static void stop() throws Exception {
        if (motoBucket != null) {
            motoBucket.close();
        }
    }

    private record Run(int exitCode, String out, String err) {
        /** The JSON document the command printed after any progress lines. */
        JsonNode json() throws IOException {
            int object = out.indexOf('{');
            int array = out.indexOf('[');
            int start = object < 0 ? array : array < 0 ? object : Math.min(object, array);
            return Json.mapper().readTree(out.substring(Math.max(0, start)));
        }
    }

    private Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(moto.environment());
        env.put("MNIST_HOME", home.toString());
        env.put("MNIST_CACHE_DIR", cache.toString());
        env.put("MNIST_DATA_DIR", Locations.fromEnvironment().dataDir().toString());
        return env;
    }

    private List<String> java(String mainClass) {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx1g", "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-Duser.home=" + userHome, "-cp", System.getProperty("surefire.test.class.path",
                        System.getProperty("java.class.path")), mainClass));
    }

    /** {@code mnist ARGS} in its own JVM, with MNIST_HOME in S3. */
    private Run mnist(String... args) throws Exception {
        List<String> command = java(MnistCli.class.getName());
        command.addAll(List.of(args));
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().putAll(environment());
        Process process = builder.start();
        assertThat(process.waitFor(10, TimeUnit.MINUTES)).as("mnist %s finished", String.join(" ", args)).isTrue();
        Run run = new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        if (run.exitCode() != 0) {
            System.err.println("mnist " + String.join(" ", args) + " exited " + run.exitCode() + ":\n" + run.err());
        }
        return run;
    }

    @Test
    void trainServeIngestRetrainWithEverythingInS3AndNothingOnLocalDisk() throws Exception {
        home = new ObjectPath(moto.freshBucket(), "home");
        cache = Files.createDirectories(tmp.resolve("cache"));
        Files.createSymbolicLink(cache.resolve("djl"), Locations.fromEnvironment().djlCache());
        userHome = Files.createDirectories(tmp.resolve("user-home"));
        cwd = Files.createDirectories(tmp.resolve("cwd"));
        Path batch = tmp.resolve("batch");

        Run train = mnist("train", "--architecture", "small", "--epochs", "1", "--batch-size", "64",
                "--max-train-images", "3000", "--validation-size", "500", "--augment", "0", "--lr", "0.005",
                "--promote", "--json");
        assertThat(train.exitCode()).isZero();
        assertThat(train.json().get("version").asText()).isEqualTo("v1");
        assertThat(train.json().get("alias").asText()).isEqualTo("production");
        assertThat(keys("registry/models/v1")).contains("SHA256SUMS", "manifest.json", "model.onnx", "baseline.json",
                "weights.safetensors");

        int port = freePort();
        Process server = serve(port);
        try {
            assertThat(awaitServing(port, "v1")).isEqualTo("v1");

            assertThat(mnist("data", "sample", "--out", batch.toString(), "--from", "50000", "--count", "2000",
                    "--shift", "thick").exitCode()).isZero();
            Run ingest = mnist("data", "ingest", batch.toString(), "--json");
            assertThat(ingest.exitCode()).isZero();
            String batchId = ingest.json().at("/batch/id").asText();
            assertThat(keys("datastore/batches/" + batchId)).contains("manifest.json", "images-idx3-ubyte");
            assertThat(mnist("data", "batches").out()).contains(batchId);

            Run retrain = mnist("retrain", "--epochs", "1", "--tolerance", "5", "--json");
            assertThat(retrain.exitCode()).as(retrain.err()).isZero();
            JsonNode run = retrain.json();
            assertThat(run.get("outcome").asText()).isEqualTo("promoted");
            assertThat(run.at("/state/register/version").asText()).isEqualTo("v2");
            String runId = run.get("id").asText();
            // The steps handed the artefact and the evaluation over through S3, not through local paths.
            assertThat(run.at("/state/train/artifact").asText()).startsWith(home.resolve("pipeline/work").toString());
            assertThat(run.at("/state/evaluate/evaluation").asText()).startsWith(home.toString());
            assertThat(keys("pipeline/runs")).containsExactly(runId + ".json");
            assertThat(keys("pipeline/notifications")).hasSize(1);
            assertThat(awaitServing(port, "v2")).as("hot reload after the pipeline's promotion").isEqualTo("v2");

            assertThat(mnist("models", "rollback").out()).contains("production -> v1");
            assertThat(awaitServing(port, "v1")).as("hot reload after a rollback").isEqualTo("v1");
            assertThat(mnist("models", "promote", "v2").out()).contains("production -> v2");
            assertThat(awaitServing(port, "v2")).as("hot reload after a promote").isEqualTo("v2");
            predict(port, 20);
        } finally {
            server.destroy(); // SIGTERM: drains, and writes the last monitoring window
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(keys("monitoring/v2")).isNotEmpty(); // the drift summaries went to S3 too
        Run monitor = mnist("monitor", "--json");
        assertThat(monitor.json().at("/monitor_dir").asText()).isEqualTo(home.resolve("monitoring").toString());
        assertThat(monitor.json().at("/report/samples").asLong()).isGreaterThanOrEqualTo(20);

        String alias = new String(s3.get(home.resolve("registry/aliases/production.json")).orElseThrow().bytes(),
                StandardCharsets.UTF_8);
        assertThat(alias).contains("\"rollback\"").contains("\"version\" : \"v2\"");

        assertNothingButScratchOnDisk();
        Run models = mnist("models", "list", "--json");
        Run runs = mnist("retrain", "runs");
        Run batches = mnist("data", "batches", "--json");
        FileTrees.delete(Locations.scratchFor(cache, home));
        // Compared as JSON trees: `models list` prints maps whose key order differs from JVM to JVM.
        assertThat(mnist("models", "list", "--json").json()).isEqualTo(models.json()).hasSize(2);
        assertThat(mnist("retrain", "runs").out()).isEqualTo(runs.out()).contains("promoted");
        assertThat(mnist("data", "batches", "--json").json()).isEqualTo(batches.json()).hasSize(1);
        Run shown = mnist("models", "show", "production", "--json");
        assertThat(shown.json().get("version").asText()).isEqualTo("v2");
        assertThat(shown.json().get("parent").asText()).isEqualTo("v1");
    }

    /** Files of the object prefix {@code part} of the home, relative to it. */
    private List<String> keys(String part) {
        ObjectPath prefix = home.resolve(part);
        return s3.list(prefix).stream().map(prefix::relativize).toList();
    }

    /**
     * The fresh user home and working directory are empty; the cache holds the linked natives and
     * scratch under s3/, in which no record of the registry, the data store, the runs or the
     * monitoring exists (only downloads, the data store's mirror, checkpoints and step work).
     */
    private void assertNothingButScratchOnDisk() throws IOException {
        try (Stream<Path> files = Files.walk(userHome)) {
            // The JDK's own: java.util.prefs and fontconfig's cache (AWT draws the report's charts).
            assertThat(files.filter(Files::isRegularFile).map(p -> userHome.relativize(p).toString()).toList())
                    .as("user.home").allMatch(n -> n.startsWith(".java/") || n.startsWith(".cache/fontconfig/"));
        }
        assertThat(userHome.resolve(".mnist-pipeline")).doesNotExist();
        try (Stream<Path> entries = Files.list(cwd)) {
            assertThat(entries.toList()).as("working directory").isEmpty();
        }
        try (Stream<Path> entries = Files.list(cache)) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("djl", "s3");
        }
        Path scratch = Locations.scratchFor(cache, home);
        try (Stream<Path> entries = Files.list(scratch)) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted().toList())
                    .isSubsetOf("datastore-mirror", "pipeline", "registry-packages", "runs");
        }
        try (Stream<Path> files = Files.walk(scratch)) {
            List<String> names = files.filter(Files::isRegularFile).map(p -> scratch.relativize(p).toString()).toList();
            assertThat(names).noneMatch(n -> n.endsWith("registry.json") || n.contains("aliases/")
                    || n.matches("pipeline/runs/.*") || n.contains("notifications") || n.endsWith("/lock")
                    || n.contains("monitoring"));
        }
    }

    private Process serve(int port) throws IOException {
        List<String> command = java("org.mnistpipeline.server.ServerMain");
        command.addAll(List.of("--port", String.valueOf(port), "--monitor-interval", "1"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("server.log").toFile());
        builder.environment().putAll(environment());
        return builder.start();
    }

    /** Waits until {@code /ping} names {@code version}, and returns what it last named. */
    private String awaitServing(int port, String version) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String serving = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> ping = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/ping")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (ping.statusCode() == 200) {
                    serving = Json.mapper().readTree(ping.body()).get("model_version").asText();
                    if (serving.equals(version)) {
                        return serving;
                    }
                }
            } catch (IOException notYet) {
                // the server is still starting
            }
            Thread.sleep(200);
        }
        System.err.println(Files.readString(tmp.resolve("server.log")));
        return serving;
    }

    /** Posts {@code count} MNIST test digits as PNGs; they are answered, and counted into a summary. */
    private void predict(int port, int count) throws Exception {
        LabeledImages test = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir());
        HttpClient http = HttpClient.newHttpClient();
        int right = 0;
        for (int i = 0; i < count; i++) {
            java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(28, 28,
                    java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            byte[] pixels = java.util.Arrays.copyOfRange(test.pixels(), i * 784, (i + 1) * 784);
            for (int p = 0; p < pixels.length; p++) {
                pixels[p] = (byte) (255 - (pixels[p] & 0xff)); // dark ink on white paper, as people send
            }
            image.getRaster().setDataElements(0, 0, 28, 28, pixels);
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(image, "png", png);
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/invocations")).header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(png.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
            JsonNode body = Json.mapper().readTree(answer.body());
            assertThat(body.get("model_version").asText()).isEqualTo("v2");
            right += body.at("/predictions/0/label").asInt() == test.label(i) ? 1 : 0;
        }
        assertThat(right).isGreaterThanOrEqualTo(count * 8 / 10);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
