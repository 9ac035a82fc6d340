package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.http.HttpErrors;
import org.mnistpipeline.io.Json;

/**
 * S3 object-created events ({@code Records[].eventSource == "aws:s3"}): each object is scored by the
 * {@link BatchScorer} ({@link S3BatchScorer}: streamed, predictions written next to it); the answer
 * is a summary per object. A failure a retry may fix fails the invocation ({@link BatchFailed}).
 */
record S3EventAdapter(FunctionEnvironment env, BatchScorer scorer) {
    PredictionHandler.Outcome handle(JsonNode root, String requestId, BatchScorer.Deadline deadline) {
        try {
            List<Entry> entries = entries(root);
            List<BatchScorer.S3Object> readable = entries.stream().map(Entry::object).filter(o -> o != null).toList();
            BatchScorer.Report scored = readable.isEmpty() ? new BatchScorer.Report(List.of())
                    : scorer.score(readable, env.model.get(), deadline);
            BatchScorer.Report report = merge(entries, scored);
            ObjectNode out = Json.mapper().createObjectNode().put("status", report.status())
                    .put("objects", report.results().size()).put("images", report.images())
                    .put("errors", report.errors());
            report.outputs().forEach(out.putArray("outputs")::add);
            var results = out.putArray("results");
            for (BatchScorer.ObjectResult r : report.results()) {
                ObjectNode node = results.addObject().put("bucket", r.bucket()).put("key", r.key())
                        .put("status", r.status()).put("images", r.images()).put("errors", r.errors());
                if (r.output() != null) {
                    node.put("output", r.output());
                }
                if (r.message() != null) {
                    node.put("message", r.message());
                }
                if (r.status() >= 400) {
                    // Nobody reads an S3-triggered function's answer: the log is where a refusal shows.
                    env.log.error(requestId, "s3://" + r.bucket() + "/" + r.key() + " not scored (" + r.status()
                            + "): " + r.message(), null);
                }
            }
            PredictionHandler.Outcome outcome = new PredictionHandler.Outcome(Json.compact(out)
                    .getBytes(StandardCharsets.UTF_8), "s3", "batch", report.status(), report.images(), 0);
            if (report.unfinished()) {
                // Out of time with progress saved: fail the invocation, so that Lambda's retry resumes.
                throw new BatchFailed(outcome, null);
            }
            return outcome;
        } catch (BatchFailed e) {
            throw e;
        } catch (RuntimeException e) {
            HttpErrors.log(e, "s3 event", PredictionHandler.errorLog(env.log, requestId));
            PredictionHandler.Outcome failed = PredictionHandler.Outcome.refused("s3", "batch", e);
            if (failed.status() >= 500 && failed.status() != 501) {
                // S3 invokes asynchronously and retries a failed invocation (twice); an answer would
                // count as success. Outputs are overwritten, so a retry repeats no harm.
                throw new BatchFailed(failed, e);
            }
            return failed;
        }
    }

    /** One record of the event: an object to score, or a key that can never name one (bad %-encoding). */
    private record Entry(BatchScorer.S3Object object, BatchScorer.ObjectResult refused) {}

    private static List<Entry> entries(JsonNode root) {
        List<Entry> entries = new ArrayList<>();
        for (JsonNode record : root.get("Records")) {
            JsonNode s3 = record.path("s3");
            String bucket = s3.path("bucket").path("name").asText("");
            String key = s3.path("object").path("key").asText("");
            if (bucket.isEmpty() || key.isEmpty()) {
                throw RequestException.badInput("an S3 record lacks s3.bucket.name or s3.object.key");
            }
            // S3 event keys are URL-encoded, with '+' for spaces: exactly what URLDecoder undoes.
            String decoded;
            try {
                decoded = URLDecoder.decode(key, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // A permanent error: no retry can decode it, so it is reported, not thrown (which would retry).
                entries.add(new Entry(null, new BatchScorer.ObjectResult(bucket, key, null, 0, 0, 400,
                        "the event's key '" + key + "' is not valid URL encoding (" + e.getMessage()
                                + "); it names no object this function can read, so it is not retried")));
                continue;
            }
            entries.add(new Entry(new BatchScorer.S3Object(bucket, decoded, s3.path("object").path("size").asLong(0)),
                    null));
        }
        return List.copyOf(entries);
    }

    /** The results in event order: the scorer's for the readable keys, the refusals for the rest. */
    private static BatchScorer.Report merge(List<Entry> entries, BatchScorer.Report scored) {
        List<BatchScorer.ObjectResult> results = new ArrayList<>();
        var next = scored.results().iterator();
        for (Entry e : entries) {
            results.add(e.object() != null ? next.next() : e.refused());
        }
        return new BatchScorer.Report(results);
    }

    /** A batch that failed for a reason a retry may fix (S3 unreachable, model not loaded). */
    static final class BatchFailed extends RuntimeException {
        private final transient PredictionHandler.Outcome outcome;

        private BatchFailed(PredictionHandler.Outcome outcome, RuntimeException cause) {
            super("S3 batch scoring failed with " + outcome.status() + "; Lambda will retry the event", cause);
            this.outcome = outcome;
        }

        PredictionHandler.Outcome outcome() {
            return outcome;
        }
    }
}
