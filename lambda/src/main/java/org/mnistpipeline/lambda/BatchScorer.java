package org.mnistpipeline.lambda;

import java.util.List;
import org.mnistpipeline.inference.http.HttpException;

/**
 * Scores the images S3 announced in an object-created event. Kept behind this interface so the
 * handler stays free of the AWS SDK: the S3 implementation arrives with the AWS module and is
 * passed in when the handler is built.
 */
public interface BatchScorer {
    /** One object an S3 event names; {@code key} is already URL-decoded. */
    record S3Object(String bucket, String key, long size) {}

    /** What a batch run did: how much it scored and where the results went. */
    record Report(int objects, int images, List<String> outputs) {}

    Report score(List<S3Object> objects);

    /** The scorer until the AWS module exists: every S3 event is answered 501 with the reason. */
    static BatchScorer unavailable() {
        return objects -> {
            throw new HttpException(501, "S3 batch scoring needs the AWS module, which this build does not"
                    + " include; the event named " + objects.size() + " object(s). Invoke the function with"
                    + " {\"instances\": [...]} or through its URL meanwhile");
        };
    }
}
