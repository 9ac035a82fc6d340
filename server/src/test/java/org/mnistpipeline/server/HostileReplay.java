package org.mnistpipeline.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.mnistpipeline.inference.hostile.HostileInputs;
import org.mnistpipeline.io.Json;

/** Sends cases of the hostile corpus to a server's {@code POST /invocations} and judges the answers. */
final class HostileReplay {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI invocations;

    HostileReplay(URI base) {
        this.invocations = base.resolve("/invocations");
    }

    /** An answer: its status, body, {@code Retry-After} and the first predicted label (-1 when none). */
    record Answer(int status, String body, String retryAfter, int label) {}

    Answer send(HostileInputs.Case c) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(invocations).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(c.body()));
        if (c.contentType() != null) {
            request.header("Content-Type", c.contentType());
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // A server that answers before reading a body it refuses may close while the client still
            // sends: the answer is lost, not wrong. Retried once, as clients do.
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
        int label = -1;
        if (response.statusCode() == 200) {
            JsonNode predictions = Json.mapper().readTree(response.body()).path("predictions");
            label = predictions.path(0).path("label").asInt(-1);
        }
        return new Answer(response.statusCode(), response.body(),
                response.headers().firstValue("retry-after").orElse(null), label);
    }

    /** What is wrong with the answer to {@code c}, or an empty string. */
    static String judge(HostileInputs.Case c, Answer a, boolean concurrent) {
        return HostileInputs.verdict(c, a.status(), a.body(), a.retryAfter(), concurrent, a.label());
    }
}
