package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;

/**
 * A Lambda function URL on loopback, for a browser: each HTTP request becomes the payload 2.0
 * event a function URL sends (headers lower-cased, binary bodies base64-encoded), the real
 * {@link PredictionHandler} answers it through its streams, and its {@code {statusCode, headers,
 * body, isBase64Encoded}} becomes the HTTP response.
 *
 * <p>It also stands in for what the URL behind CloudFront's origin access control demands of a
 * POST or PUT: an {@code x-amz-content-sha256} header equal to the SHA-256 of the body (Lambda takes
 * no unsigned payloads). CloudFront signs the request with that header's value and Lambda checks the
 * signature against the body it receives; a mismatch or a missing header is refused with 403 before
 * the function runs. The real signature needs AWS; the hash comparison is what a page can get wrong.
 * Every request is recorded with the status it got.
 */
final class FunctionUrlShim implements AutoCloseable {
    /** One request as it arrived, and the status it was answered with. */
    record Recorded(String method, String path, Map<String, String> headers, byte[] body, int status) {}

    private final PredictionHandler handler;
    private final HttpServer server;
    private final List<Recorded> recorded = new ArrayList<>();

    private FunctionUrlShim(PredictionHandler handler) throws IOException {
        this.handler = handler;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
    }

    static FunctionUrlShim start(PredictionHandler handler) throws IOException {
        return new FunctionUrlShim(handler);
    }

    /** {@code http://127.0.0.1:port/...}: a loopback address is a secure context, so the page gets crypto.subtle. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    synchronized List<Recorded> recorded() {
        return List.copyOf(recorded);
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            String path = exchange.getRequestURI().getRawPath();
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) ->
                    headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status;
            Map<String, String> responseHeaders;
            byte[] responseBody;
            String refusal = signedPayloadProblem(method, headers, body);
            if (refusal != null) {
                status = 403;
                responseHeaders = Map.of("content-type", "application/json");
                responseBody = Json.compact(Map.of("message", refusal)).getBytes(StandardCharsets.UTF_8);
            } else {
                JsonNode answer = invoke(event(method, exchange.getRequestURI().getRawQuery(), path, headers, body));
                status = answer.get("statusCode").asInt();
                responseHeaders = new TreeMap<>();
                answer.path("headers").properties().forEach(e -> responseHeaders.put(e.getKey(), e.getValue().asText()));
                String text = answer.path("body").asText("");
                responseBody = answer.path("isBase64Encoded").asBoolean(false) ? Base64.getDecoder().decode(text)
                        : text.getBytes(StandardCharsets.UTF_8);
            }
            synchronized (this) {
                recorded.add(new Recorded(method, path, Map.copyOf(headers), body, status));
            }
            responseHeaders.forEach(exchange.getResponseHeaders()::set);
            boolean noBody = method.equals("HEAD") || status == 304 || responseBody.length == 0;
            exchange.sendResponseHeaders(status, noBody ? -1 : responseBody.length);
            if (!noBody) {
                exchange.getResponseBody().write(responseBody);
            }
        }
    }

    /** Null when the request may reach the function; else why the signed URL would refuse it. */
    static String signedPayloadProblem(String method, Map<String, String> headers, byte[] body) {
        if (!method.equals("POST") && !method.equals("PUT")) {
            return null;
        }
        String claimed = headers.get("x-amz-content-sha256");
        if (claimed == null) {
            return "a " + method + " through the origin access control needs x-amz-content-sha256 (Lambda takes no"
                    + " unsigned payloads)";
        }
        String actual = Sha256.of(body);
        return claimed.equals(actual) ? null : "x-amz-content-sha256 " + claimed + " does not match the body's "
                + actual + ": the signature does not match";
    }

    /** The payload 2.0 event a function URL sends for this request. */
    private static byte[] event(String method, String query, String path, Map<String, String> headers, byte[] body) {
        ObjectNode event = Json.mapper().createObjectNode().put("version", "2.0").put("routeKey", "$default")
                .put("rawPath", path).put("rawQueryString", query == null ? "" : query);
        ObjectNode h = event.putObject("headers");
        headers.forEach(h::put);
        ObjectNode context = event.putObject("requestContext").put("accountId", "anonymous")
                .put("requestId", UUID.randomUUID().toString()).put("routeKey", "$default").put("stage", "$default")
                .put("timeEpoch", System.currentTimeMillis());
        context.putObject("http").put("method", method).put("path", path).put("protocol", "HTTP/1.1")
                .put("sourceIp", "127.0.0.1").put("userAgent", headers.getOrDefault("user-agent", ""));
        if (body.length > 0) {
            // Function URLs pass text as it is and base64-encode everything else (a PNG here).
            String type = headers.getOrDefault("content-type", "");
            boolean text = type.startsWith("text/") || type.startsWith("application/json");
            event.put("body", text ? new String(body, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(body))
                    .put("isBase64Encoded", !text);
        } else {
            event.put("isBase64Encoded", false);
        }
        return Json.compact(event).getBytes(StandardCharsets.UTF_8);
    }

    private JsonNode invoke(byte[] event) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(event), out, null);
        return Json.mapper().readTree(out.toByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
