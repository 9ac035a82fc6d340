package org.mnistpipeline.lambda;

import java.io.InputStream;
import java.nio.file.Path;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;

/**
 * The object-store calls batch scoring makes, so the scorer reads as what it does and the SDK
 * stays in {@link S3ObjectStore}: reading an object, writing one whole or in parts (a multipart
 * upload, which outlives an invocation and so carries a long output across a retry), deleting
 * one. Failures to reach the store are unchecked exceptions.
 */
public interface ObjectStore {
    /** What {@code HEAD} says about an object; {@code contentType} and {@code etag} may be null. */
    record Head(long size, String contentType, String etag) {}

    /** One uploaded part of a multipart upload: its number (from 1) and the ETag S3 answered. */
    record Part(int number, String etag) {}

    /** The object's metadata; a 404 {@link RequestException} when it does not exist (see {@link #notFound}). */
    Head head(String bucket, String key);

    /** The object's bytes as a stream read from the network as it is consumed; the caller closes it. */
    InputStream open(String bucket, String key);

    /** Uploads {@code file} as {@code key}, streaming it from disk. */
    void put(String bucket, String key, Path file, String contentType);

    /** Starts a multipart upload of {@code key}; returns its upload id. */
    String startUpload(String bucket, String key, String contentType);

    /** Uploads {@code file} as part {@code number} (every part but the last at least 5 MiB); returns the part. */
    Part uploadPart(String bucket, String key, String uploadId, int number, Path file);

    /** Joins {@code parts}, in order, into the object {@code key}. */
    void completeUpload(String bucket, String key, String uploadId, java.util.List<Part> parts);

    /** Abandons an upload and its parts; an upload that no longer exists is no error. */
    void abortUpload(String bucket, String key, String uploadId);

    /** Deletes {@code key}; a key that does not exist is no error. */
    void delete(String bucket, String key);

    /** The object does not exist (deleted since the event, or a wrong key). */
    static RequestException notFound(String bucket, String key) {
        return new RequestException(Kind.NOT_FOUND, "s3://" + bucket + "/" + key + " does not exist");
    }
}
