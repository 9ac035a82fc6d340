package org.mnistpipeline.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The Lambda Runtime API (2018-06-01) on loopback, as far as a function under AWS's runtime interface client
 * uses it: {@code invocation/next} hands out queued events (blocking while there are none), and what the function
 * posts back (a response, an error with its {@code errorType}) is queued for the test.
 */
final class RuntimeApiStub implements AutoCloseable {
    private static final String PREFIX = "/2018-06-01/runtime/";

    /** {@code kind}: {@code response}, {@code error} or {@code init/error}. */
    record Posted(String kind, String body) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<Posted> posted = new LinkedBlockingQueue<>();

    RuntimeApiStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(PREFIX, this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** For {@code AWS_LAMBDA_RUNTIME_API}. */
    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** The function's answer to {@code event}, or null after {@code seconds}. */
    Posted invoke(String event, int seconds) throws InterruptedException {
        events.add(event);
        return posted.poll(seconds, TimeUnit.SECONDS);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath().substring(PREFIX.length());
            if (path.equals("invocation/next")) {
                byte[] event = events.take().getBytes(StandardCharsets.UTF_8);
                // Every header the real API sends: the client's native part expects each of them.
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.getResponseHeaders().set("Lambda-Runtime-Trace-Id",
                        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0");
                exchange.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", UUID.randomUUID().toString());
                exchange.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms",
                        Long.toString(System.currentTimeMillis() + 900_000));
                exchange.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:eu-west-1:123456789012:function:mnist-pipeline-step");
                exchange.sendResponseHeaders(200, event.length);
                exchange.getResponseBody().write(event);
                return;
            }
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String kind = path.equals("init/error") ? path : path.substring(path.lastIndexOf('/') + 1);
            posted.add(new Posted(kind, body));
            exchange.sendResponseHeaders(202, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
