package org.mnistpipeline.lambda;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/** An {@link ObjectStore} passing every call to a real one; tests override the calls they watch. */
class ForwardingObjectStore implements ObjectStore {
    private final ObjectStore store;

    ForwardingObjectStore(ObjectStore store) {
        this.store = store;
    }

    @Override
    public Head head(String bucket, String key) {
        return store.head(bucket, key);
    }

    @Override
    public InputStream open(String bucket, String key) {
        return store.open(bucket, key);
    }

    @Override
    public void put(String bucket, String key, Path file, String contentType) {
        store.put(bucket, key, file, contentType);
    }

    @Override
    public String startUpload(String bucket, String key, String contentType) {
        return store.startUpload(bucket, key, contentType);
    }

    @Override
    public Part uploadPart(String bucket, String key, String uploadId, int number, Path file) {
        return store.uploadPart(bucket, key, uploadId, number, file);
    }

    @Override
    public void completeUpload(String bucket, String key, String uploadId, List<Part> parts) {
        store.completeUpload(bucket, key, uploadId, parts);
    }

    @Override
    public void abortUpload(String bucket, String key, String uploadId) {
        store.abortUpload(bucket, key, uploadId);
    }

    @Override
    public void delete(String bucket, String key) {
        store.delete(bucket, key);
    }
}
