package org.mnistpipeline.lambda;

import java.io.InputStream;
import java.nio.file.Path;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;

/**
 * The three object-store calls batch scoring makes, so the scorer reads as what it does and the
 * SDK stays in {@link S3ObjectStore}. Failures to reach the store are unchecked exceptions.
 */
public interface ObjectStore {
    /** What {@code HEAD} says about an object; {@code contentType} may be null. */
    record Head(long size, String contentType) {}

    /** The object's metadata; a 404 {@link RequestException} when it does not exist (see {@link #notFound}). */
    Head head(String bucket, String key);

    /** The object's bytes as a stream read from the network as it is consumed; the caller closes it. */
    InputStream open(String bucket, String key);

    /** Uploads {@code file} as {@code key}, streaming it from disk. */
    void put(String bucket, String key, Path file, String contentType);

    /** The object does not exist (deleted since the event, or a wrong key). */
    static RequestException notFound(String bucket, String key) {
        return new RequestException(Kind.NOT_FOUND, "s3://" + bucket + "/" + key + " does not exist");
    }
}
