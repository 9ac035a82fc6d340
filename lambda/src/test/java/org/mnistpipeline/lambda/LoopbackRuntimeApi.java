package org.mnistpipeline.lambda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Just enough of the Lambda Runtime API (version 2018-06-01) on loopback to run a function under
 * AWS's runtime interface client: {@code invocation/next} hands out queued events with the headers
 * the client reads, and {@code invocation/{id}/response}, {@code invocation/{id}/error} and
 * {@code init/error} are recorded with the time they arrived. {@code next} blocks while the queue is
 * empty, as the real API does between invocations.
 *
 * <p>The JDK server delays small responses by ~40 ms (Nagle) unless {@code sun.net.httpserver.nodelay}
 * is set before its first use; run the JVM with {@code -Dsun.net.httpserver.nodelay=true}.
 */
final class LoopbackRuntimeApi implements AutoCloseable {
    static final String PREFIX = "/2018-06-01/runtime/";
    static final String FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:mnist-predict";

    /** What the function posted: kind is {@code response}, {@code error} or {@code init-error}. */
    record Posted(String kind, String requestId, String body, long nanoTime) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final BlockingQueue<byte[]> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<Posted> posted = new LinkedBlockingQueue<>();

    LoopbackRuntimeApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(PREFIX, this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** For {@code AWS_LAMBDA_RUNTIME_API}. */
    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * One whole {@code next} → {@code response} exchange from this JVM, answered and discarded, so
     * that a timed child meets a server whose code paths (exchange handling, the {@code Date}
     * header's time-zone data) are already loaded: on a busy machine the first exchange of a fresh
     * JVM took 100–250 ms, which the real Runtime API never adds to a cold start.
     */
    void warmUp() throws IOException, InterruptedException {
        enqueue("{}".getBytes(StandardCharsets.UTF_8));
        URI next = URI.create("http://" + address() + PREFIX + "invocation/next");
        HttpURLConnection get = (HttpURLConnection) next.toURL().openConnection();
        String id = get.getHeaderField("Lambda-Runtime-Aws-Request-Id");
        get.getInputStream().readAllBytes();
        HttpURLConnection post = (HttpURLConnection) URI.create("http://" + address()
                + PREFIX + "invocation/" + id + "/response").toURL().openConnection();
        post.setRequestMethod("POST");
        post.setDoOutput(true);
        post.getOutputStream().write("{}".getBytes(StandardCharsets.UTF_8));
        if (post.getResponseCode() != 202 || awaitPosted(10, TimeUnit.SECONDS) == null) {
            throw new IOException("the loopback Runtime API did not take its own warm-up exchange");
        }
    }

    /** Queues an event for the next {@code invocation/next}. */
    void enqueue(byte[] event) {
        events.add(event);
    }

    /** The next thing the function posted, or null after the timeout. */
    Posted awaitPosted(long timeout, TimeUnit unit) throws InterruptedException {
        return posted.poll(timeout, unit);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath().substring(PREFIX.length());
            long now = System.nanoTime();
            if (path.equals("invocation/next") && exchange.getRequestMethod().equals("GET")) {
                byte[] event = events.take();
                var h = exchange.getResponseHeaders();
                h.set("Content-Type", "application/json");
                h.set("Lambda-Runtime-Aws-Request-Id", UUID.randomUUID().toString());
                h.set("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 30_000));
                h.set("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN);
                h.set("Lambda-Runtime-Trace-Id",
                        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0");
                exchange.sendResponseHeaders(200, event.length);
                exchange.getResponseBody().write(event);
                return;
            }
            String body = read(exchange.getRequestBody());
            String[] parts = path.split("/");
            if (path.equals("init/error")) {
                posted.add(new Posted("init-error", null, body, now));
            } else if (parts.length == 3 && parts[0].equals("invocation")
                    && (parts[2].equals("response") || parts[2].equals("error"))) {
                posted.add(new Posted(parts[2], parts[1], body, now));
            } else {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.sendResponseHeaders(202, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
