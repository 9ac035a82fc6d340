package org.mnistpipeline.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.mnistpipeline.MnistException;

/**
 * The object-store calls the shared stores make (the registry, the data store, the pipeline's runs
 * and lease, the drift summaries), with the conditions they are built on: a write that only
 * creates ({@code If-None-Match: *}) and a write that only replaces a known version
 * ({@code If-Match: <etag>}). The AWS SDK stays in the {@code mnist-s3} module's implementation, so
 * nothing here, and nothing that uses it, depends on it.
 *
 * <p>Failures to reach the store are {@link java.io.UncheckedIOException}s (the pipeline retries
 * them); refused permissions are {@link MnistException}s that name the object.
 */
public interface ObjectStorage {

    /** An object's bytes and its entity tag as the store gave it (quotes included). */
    record Stored(byte[] bytes, String etag) {}

    /** What a conditional read found. */
    enum Change { UNCHANGED, ABSENT, CHANGED }

    /** @param object the new content when {@code change} is {@link Change#CHANGED}, else null */
    record Fetched(Change change, Stored object) {}

    /** The object, or empty when there is none. */
    Optional<Stored> get(ObjectPath path);

    /**
     * A read that transfers nothing when the object still has entity tag {@code etag}
     * ({@code If-None-Match}); a null {@code etag} reads unconditionally.
     */
    Fetched getIfChanged(ObjectPath path, String etag);

    /** Streams the object into {@code file} (replaced); {@link NotFound} when there is none. */
    void download(ObjectPath path, Path file);

    /** Writes the object, replacing any; returns its entity tag. */
    String put(ObjectPath path, byte[] bytes);

    /** Uploads {@code file} as the object, replacing any; returns its entity tag. */
    String upload(ObjectPath path, Path file);

    /** Creates the object only if there is none ({@code If-None-Match: *}); {@link ConditionFailed} otherwise. */
    String putIfAbsent(ObjectPath path, byte[] bytes);

    /**
     * Replaces the object only while its entity tag is still {@code etag} ({@code If-Match});
     * {@link ConditionFailed} when it changed or was deleted.
     */
    String putIfMatch(ObjectPath path, byte[] bytes, String etag);

    /** Every key under {@code prefix} (see {@link ObjectPath#prefix()}), in the store's (UTF-8 binary) order. */
    List<String> list(ObjectPath prefix);

    /** As {@link #list(ObjectPath)}, starting after the key {@code startAfter}. */
    List<String> list(ObjectPath prefix, String startAfter);

    /** Deletes the object; deleting one that does not exist is not an error. */
    void delete(ObjectPath path);

    /** A conditional write was refused: another writer created or changed the object first. */
    final class ConditionFailed extends MnistException {
        public ConditionFailed(String message) {
            super(Kind.BUSY, message);
        }
    }

    /** The object does not exist. */
    final class NotFound extends MnistException {
        public NotFound(ObjectPath path) {
            super(Kind.NOT_FOUND, path + " does not exist");
        }
    }
}
