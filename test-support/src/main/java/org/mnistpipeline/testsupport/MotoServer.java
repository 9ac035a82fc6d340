package org.mnistpipeline.testsupport;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3-compatible server for the tests: moto's server mode ({@code python3 -m moto.server}) on a
 * free loopback port, started and awaited here, stopped on close. When it cannot start the test
 * fails with moto's own output: nothing that uses S3 is ever "tested" against nothing.
 *
 * <p>moto checks a write's condition and then writes without a lock, so two racing processes prove
 * nothing about atomicity against it; tests of compare-and-set interleave their writers
 * deterministically instead.
 */
public final class MotoServer implements AutoCloseable {
    public static final String REGION = "eu-west-1";
    /** The variable the project's S3 clients take another endpoint from (lambda's and the s3 module's). */
    public static final String ENDPOINT_VAR = "MNIST_S3_ENDPOINT";

    private final Process process;
    private final Path log;
    private static final java.util.concurrent.atomic.AtomicInteger BUCKETS = new java.util.concurrent.atomic.AtomicInteger();

    public final int port;

    private MotoServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    public static MotoServer start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Files.createTempFile("moto-", ".log");
        String python = python();
        ProcessBuilder pb = new ProcessBuilder(python, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                String.valueOf(port)).redirectErrorStream(true).redirectOutput(log.toFile());
        Process process = pb.start();
        MotoServer server = new MotoServer(process, log, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the moto S3 server exited with " + process.exitValue()
                        + "; is moto (with its server extras) installed for " + python + "? Its output:\n"
                        + server.output());
            }
            if (server.answers()) {
                return server;
            }
            Thread.sleep(100);
        }
        server.close();
        throw new IllegalStateException("the moto S3 server did not answer on port " + port + " within 30 s:\n"
                + server.output());
    }

    private static String python;

    /**
     * A Python that has moto: {@code MNIST_PYTHON} when set, else the first of {@code python3} on the
     * PATH, pyenv's versions (the machine image installs moto there, and a non-interactive shell
     * has no pyenv shims on its PATH) and {@code /usr/bin/python3} that can import {@code moto.server}.
     */
    public static synchronized String python() throws InterruptedException {
        if (python != null) {
            return python;
        }
        String configured = System.getenv("MNIST_PYTHON");
        if (configured != null && !configured.isBlank()) {
            return python = configured;
        }
        List<String> candidates = new java.util.ArrayList<>(List.of("python3"));
        Path pyenv = Path.of(System.getenv().getOrDefault("PYENV_ROOT", System.getProperty("user.home") + "/.pyenv"),
                "versions");
        if (Files.isDirectory(pyenv)) {
            try (var versions = Files.list(pyenv)) {
                versions.map(v -> v.resolve("bin/python3")).filter(Files::isExecutable).sorted(
                        java.util.Comparator.reverseOrder()).forEach(p -> candidates.add(p.toString()));
            } catch (IOException ignored) {
                // no pyenv
            }
        }
        candidates.add("/usr/bin/python3");
        for (String candidate : candidates) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import moto.server").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return python = candidate;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // not installed; try the next
            }
        }
        throw new IllegalStateException("no Python with moto found (tried MNIST_PYTHON, " + candidates + "); the S3"
                + " tests need moto's S3 server: install moto with its server extras for python3, or set"
                + " MNIST_PYTHON to a Python that has it (see .ci/run)");
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            int code = c.getResponseCode();
            c.disconnect();
            return code == 200;
        } catch (IOException e) {
            return false;
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The environment a client uses to reach this server (what Lambda would set, plus the endpoint). */
    public Map<String, String> environment() {
        return Map.of("AWS_REGION", REGION, "AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing",
                ENDPOINT_VAR, endpoint());
    }

    /**
     * Creates a bucket in {@link #REGION}. moto's server does not check signatures, so a plain PUT
     * does it, and this class needs no SDK.
     */
    public void createBucket(String bucket) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/" + bucket).toURL().openConnection();
        c.setRequestMethod("PUT");
        c.setDoOutput(true);
        byte[] body = ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>" + REGION + "</LocationConstraint></CreateBucketConfiguration>")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        c.getOutputStream().write(body);
        int code = c.getResponseCode();
        c.disconnect();
        if (code != 200) {
            throw new IOException("moto refused to create bucket " + bucket + ": HTTP " + code);
        }
    }

    /** A new, empty bucket with a name no other test of this JVM uses. */
    public String freshBucket() throws IOException {
        String bucket = "mnist-test-" + BUCKETS.incrementAndGet();
        createBucket(bucket);
        return bucket;
    }

    public String output() {
        try {
            return String.join("\n", Files.readAllLines(log));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temp file
        }
    }
}
