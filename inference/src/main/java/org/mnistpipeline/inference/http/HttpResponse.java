package org.mnistpipeline.inference.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mnistpipeline.io.Json;

/**
 * A complete answer, buffered: bodies are small, and a buffered body has a Content-Length. Route
 * handlers return one or throw; only the carrier writes it (to the socket, or into a Lambda response).
 *
 * @param contentType  null for a response without a body (304)
 * @param headers      lower-case names; {@link HttpEdge} adds the ones every response carries
 * @param images       images this request answered, for the carrier's metrics
 * @param cachedImages of which answered from a cache without running the model
 */
public record HttpResponse(int status, String contentType, byte[] body, Map<String, String> headers, int images,
        int cachedImages) {
    public static final String JSON = "application/json";

    public static HttpResponse json(int status, byte[] body) {
        return new HttpResponse(status, JSON, body, Map.of(), 0, 0);
    }

    /** {@code value} written as compact JSON. */
    public static HttpResponse json(int status, Object value) {
        return json(status, Json.compact(value).getBytes(StandardCharsets.UTF_8));
    }

    public static HttpResponse error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    public HttpResponse withHeader(String name, String value) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put(name, value);
        return new HttpResponse(status, contentType, body, Map.copyOf(all), images, cachedImages);
    }

    public HttpResponse withImages(int answered, int fromCache) {
        return new HttpResponse(status, contentType, body, headers, answered, fromCache);
    }

    public String header(String name) {
        return headers.get(name);
    }
}
