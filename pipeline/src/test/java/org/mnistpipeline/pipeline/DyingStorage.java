package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * A real store whose writer dies at one write: the first create-only write of a key ending in
 * {@code suffix} throws instead of reaching the store, as if the process had been killed there
 * (everything before it reached the store, nothing after it does).
 */
public final class DyingStorage implements ObjectStorage {
    private final ObjectStorage delegate;
    private final String suffix;
    private boolean died;

    public DyingStorage(ObjectStorage delegate, String suffix) {
        this.delegate = delegate;
        this.suffix = suffix;
    }

    @Override
    public String putIfAbsent(ObjectPath path, byte[] bytes) {
        if (!died && path.key().endsWith(suffix)) {
            died = true;
            throw new IllegalStateException("killed before writing " + path);
        }
        return delegate.putIfAbsent(path, bytes);
    }

    @Override
    public Optional<Stored> get(ObjectPath path) {
        return delegate.get(path);
    }

    @Override
    public Fetched getIfChanged(ObjectPath path, String etag) {
        return delegate.getIfChanged(path, etag);
    }

    @Override
    public void download(ObjectPath path, Path file) {
        delegate.download(path, file);
    }

    @Override
    public String put(ObjectPath path, byte[] bytes) {
        return delegate.put(path, bytes);
    }

    @Override
    public String upload(ObjectPath path, Path file) {
        return delegate.upload(path, file);
    }

    @Override
    public String putIfMatch(ObjectPath path, byte[] bytes, String etag) {
        return delegate.putIfMatch(path, bytes, etag);
    }

    @Override
    public List<String> list(ObjectPath prefix) {
        return delegate.list(prefix);
    }

    @Override
    public List<String> list(ObjectPath prefix, String startAfter) {
        return delegate.list(prefix, startAfter);
    }

    @Override
    public void delete(ObjectPath path) {
        delegate.delete(path);
    }
}
