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
import java.util.function.Function;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * Tells people what a run did. Locally: a JSON line appended to a file (or one object per run in
 * an object store), plus an optional webhook
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
        return withWebhook(notification -> {
            try {
                Files.createDirectories(file.getParent());
                // One short append per line; readers never see a half line from a single writer.
                Files.writeString(file, Json.compact(notification) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
                return "file " + file + ": ok";
            } catch (IOException e) {
                return "file " + file + ": failed (" + e.getMessage() + ")";
            }
        }, webhook);
    }

    /**
     * One object per notification under {@code dir} ({@code <time>-<run>.json}: an object store has no
     * append) and, when {@code webhook} is not null, a POST of the JSON there.
     */
    static Notifier toObjects(ObjectStorage storage, ObjectPath dir, URI webhook) {
        return withWebhook(notification -> {
            ObjectPath path = dir.resolve(notification.time().replace(':', '-') + "-" + notification.runId() + ".json");
            try {
                storage.put(path, (Json.compact(notification) + "\n").getBytes(StandardCharsets.UTF_8));
                return "object " + path + ": ok";
            } catch (RuntimeException e) {
                return "object " + path + ": failed (" + e.getMessage() + ")";
            }
        }, webhook);
    }

    /** {@code record} (a delivery line for one channel), then the webhook when there is one. */
    private static Notifier withWebhook(Function<Notification, String> record, URI webhook) {
        HttpClient http = webhook == null ? null
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return notification -> {
            List<String> delivered = new ArrayList<>();
            delivered.add(record.apply(notification));
            if (http != null) {
                delivered.add("webhook " + webhook.getHost() + ": " + post(http, webhook, Json.compact(notification)));
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
