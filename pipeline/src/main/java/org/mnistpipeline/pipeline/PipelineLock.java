package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import org.mnistpipeline.MnistException;

/**
 * Only one pipeline run at a time: an OS file lock for a home directory ({@link #acquire}), a
 * lease object for a home in an object store ({@link ObjectPipelineLock}). Held for the whole run.
 */
public interface PipelineLock extends AutoCloseable {

    /** Refused while another run holds the lock. */
    final class BusyException extends MnistException {
        public BusyException(String message) {
            super(Kind.BUSY, message);
        }
    }

    /** The lock of a home directory, as the file {@code file}; {@link BusyException} while another run holds it. */
    static PipelineLock acquire(Path file) {
        return LocalPipelineLock.acquire(file);
    }

    /**
     * Throws {@link BusyException} when this holder no longer has the lock (a lease that expired
     * and was taken over), so a run stops before it writes again. An OS lock cannot be lost.
     */
    default void check() {}

    @Override
    void close();
}
