package org.mnistpipeline.lambda;

import java.util.List;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;

/**
 * Scores the objects an S3 object-created event names. Kept behind this interface so the handler's
 * dispatch stays readable and testable without S3; {@link S3BatchScorer} is the real one.
 */
public interface BatchScorer {
    /**
     * How long the invocation has left, as Lambda's {@code Context.getRemainingTimeInMillis()} says:
     * a scorer stops in time to save its progress instead of being killed mid-object.
     */
    @FunctionalInterface
    interface Deadline {
        /** No limit: tests and callers outside Lambda. */
        Deadline NONE = () -> Long.MAX_VALUE;

        long remainingMillis();
    }

    /** One object an S3 event names; {@code key} is already URL-decoded. */
    record S3Object(String bucket, String key, long size) {}

    /**
     * What happened to one object.
     *
     * @param output  {@code s3://bucket/key} of the predictions written, or null when none was
     * @param images  records scored
     * @param errors  records that could not be scored (each has an error line in the output)
     * @param status  200 scored, 204 skipped (our own output), 4xx the object as a whole was refused,
     *                503 unfinished when the invocation's time ran out (its progress is saved; a retry resumes)
     * @param message why it was skipped or refused; null when scored
     */
    record ObjectResult(String bucket, String key, String output, int images, int errors, int status,
            String message) {}

    /** What a batch run did, object by object, in event order. */
    record Report(List<ObjectResult> results) {
        public Report {
            results = List.copyOf(results);
        }

        public int images() {
            return results.stream().mapToInt(ObjectResult::images).sum();
        }

        public int errors() {
            return results.stream().mapToInt(ObjectResult::errors).sum();
        }

        public List<String> outputs() {
            return results.stream().map(ObjectResult::output).filter(o -> o != null).toList();
        }

        /** True when an object was left unfinished for lack of time: the invocation must fail so Lambda retries. */
        public boolean unfinished() {
            return results.stream().anyMatch(r -> r.status() == 503);
        }

        /** 200 when every object was scored or skipped; else the first refusal's status. */
        public int status() {
            return results.stream().mapToInt(ObjectResult::status).filter(s -> s >= 400).findFirst().orElse(200);
        }
    }

    /**
     * Scores {@code objects} with {@code predictor}, stopping before {@code deadline} with the
     * object in hand left unfinished (status 503, progress saved); a failure to reach S3 throws, so
     * Lambda retries.
     */
    Report score(List<S3Object> objects, Predictor predictor, Deadline deadline);

    /** {@link #score(List, Predictor, Deadline)} without a time limit. */
    default Report score(List<S3Object> objects, Predictor predictor) {
        return score(objects, predictor, Deadline.NONE);
    }

    /** A scorer for builds without S3 access: every S3 event is answered 501 with the reason. */
    static BatchScorer unavailable() {
        return (objects, predictor, deadline) -> {
            throw new RequestException(Kind.NOT_IMPLEMENTED, "S3 batch scoring is not configured in this handler; the event named "
                    + objects.size() + " object(s). Invoke the function with {\"instances\": [...]} or through its URL");
        };
    }
}
