package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.io.Json;

/**
 * Tells people what a run did. Locally: a JSON line appended to a file, plus an optional webhook
 * (Slack-style incoming hooks, or anything that takes a JSON POST); on AWS an SNS topic fills the
 * same role. Delivery is at least once: a run resumed after a crash in this step may send again.
 */
public interface Notifier {

    /** @return one line per channel saying whether it was delivered */
    List<String> send(Notification notification);

    /** What a run did, in a shape a chat hook or a log query can use as is. */
    record Notification(String runId, String outcome, String text, String champion, String challenger,
            String time) {}

    /** Appends to {@code file} and, when {@code webhook} is not null, POSTs the JSON there. */
    static Notifier of(Path file, URI webhook) {
        HttpClient http = webhook == null ? null
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return notification -> {
            List<String> delivered = new ArrayList<>();
            String json = Json.compact(notification);
            try {
                Files.createDirectories(file.getParent());
                // One short append per line; readers never see a half line from a single writer.
                Files.writeString(file, json + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
                delivered.add("file " + file + ": ok");
            } catch (IOException e) {
                delivered.add("file " + file + ": failed (" + e.getMessage() + ")");
            }
            if (http != null) {
                delivered.add("webhook " + webhook.getHost() + ": " + post(http, webhook, json));
            }
            return delivered;
        };
    }

    private static String post(HttpClient http, URI webhook, String json) {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(webhook).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() / 100 == 2 ? "ok" : "failed (HTTP " + response.statusCode() + ")";
        } catch (IOException e) {
            return "failed (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
