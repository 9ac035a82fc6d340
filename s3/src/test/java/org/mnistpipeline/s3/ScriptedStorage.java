package org.mnistpipeline.s3;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * A real store (moto, through {@link S3Objects}) with a script: another writer's whole operation
 * can be run just before one of this writer's conditional writes goes out, which is the
 * interleaving a race produces, made deterministic. moto checks a condition and then writes
 * without a lock, so racing two threads against it would prove nothing; here each write reaches
 * moto alone and moto's answer (412 or not) is the real one. It also records what was called, and
 * can refuse every write, to show which operations need only read access.
 */
public final class ScriptedStorage implements ObjectStorage {
    private final ObjectStorage delegate;
    private final Map<String, Runnable> beforeConditionalWrite = new HashMap<>();
    private final List<String> calls = new ArrayList<>();
    private boolean readOnly;
    private int conditionFailures;

    public ScriptedStorage(ObjectStorage delegate) {
        this.delegate = delegate;
    }

    /** Runs {@code interleaved} once, just before the next conditional write to {@code key}. */
    public synchronized ScriptedStorage beforeConditionalWrite(ObjectPath key, Runnable interleaved) {
        beforeConditionalWrite.put("any " + key.key(), interleaved);
        return this;
    }

    /** Runs {@code interleaved} once, just before the next {@code If-Match} write to {@code key}. */
    public synchronized ScriptedStorage beforeReplaceIfMatch(ObjectPath key, Runnable interleaved) {
        beforeConditionalWrite.put("putIfMatch " + key.key(), interleaved);
        return this;
    }

    /** Every write is refused from now on, as a role without write permission would be. */
    public synchronized ScriptedStorage readOnly() {
        readOnly = true;
        return this;
    }

    /** Conditional writes of this writer that the store refused (412). */
    public synchronized int conditionFailures() {
        return conditionFailures;
    }

    /** "get key", "getIfChanged key -> UNCHANGED", "putIfMatch key", ... in order. */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    private synchronized void record(String call) {
        calls.add(call);
    }

    private void write(String call, ObjectPath path) {
        if (readOnly) {
            throw new AssertionError("a read-only role was asked to " + call + " " + path);
        }
        record(call + " " + path.key());
    }

    private <T> T conditional(String call, ObjectPath path, java.util.function.Supplier<T> write) {
        write(call, path);
        Runnable interleaved;
        synchronized (this) {
            interleaved = beforeConditionalWrite.remove(call + " " + path.key());
            if (interleaved == null) {
                interleaved = beforeConditionalWrite.remove("any " + path.key());
            }
        }
        if (interleaved != null) {
            interleaved.run();
        }
        try {
            return write.get();
        } catch (ConditionFailed e) {
            synchronized (this) {
                conditionFailures++;
            }
            record("412 " + path.key());
            throw e;
        }
    }

    @Override
    public Optional<Stored> get(ObjectPath path) {
        record("get " + path.key());
        return delegate.get(path);
    }

    @Override
    public Fetched getIfChanged(ObjectPath path, String etag) {
        Fetched fetched = delegate.getIfChanged(path, etag);
        record("getIfChanged " + path.key() + " -> " + fetched.change());
        return fetched;
    }

    @Override
    public void download(ObjectPath path, Path file) {
        record("download " + path.key());
        delegate.download(path, file);
    }

    @Override
    public String put(ObjectPath path, byte[] bytes) {
        write("put", path);
        return delegate.put(path, bytes);
    }

    @Override
    public String upload(ObjectPath path, Path file) {
        write("upload", path);
        return delegate.upload(path, file);
    }

    @Override
    public String putIfAbsent(ObjectPath path, byte[] bytes) {
        return conditional("putIfAbsent", path, () -> delegate.putIfAbsent(path, bytes));
    }

    @Override
    public String putIfMatch(ObjectPath path, byte[] bytes, String etag) {
        return conditional("putIfMatch", path, () -> delegate.putIfMatch(path, bytes, etag));
    }

    @Override
    public List<String> list(ObjectPath prefix) {
        record("list " + prefix.key());
        return delegate.list(prefix);
    }

    @Override
    public List<String> list(ObjectPath prefix, String startAfter) {
        record("list " + prefix.key());
        return delegate.list(prefix, startAfter);
    }

    @Override
    public void delete(ObjectPath path) {
        write("delete", path);
        delegate.delete(path);
    }
}
