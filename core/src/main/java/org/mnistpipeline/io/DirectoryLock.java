package org.mnistpipeline.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serialises the writers of one directory: an OS file lock on {@code dir/.lock} against other
 * processes, and a thread lock against this one's other threads (a file lock does not exclude
 * them). Waits for both. The OS releases the file lock when its holder dies, however it dies.
 */
public final class DirectoryLock {
    private final Path dir;
    private final ReentrantLock threads = new ReentrantLock();

    /** Work that may throw IOException; the caller names the store when it wraps the failure. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws IOException;
    }

    public DirectoryLock(Path dir) {
        this.dir = dir;
    }

    /** Runs {@code work} holding the lock; creates the directory first if needed. */
    public <T> T run(Work<T> work) throws IOException {
        threads.lock();
        try {
            Files.createDirectories(dir);
            try (FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                    FileLock lock = acquire(channel)) {
                return work.run();
            }
        } finally {
            threads.unlock();
        }
    }

    /** Another lock object over the same directory in this JVM makes {@code lock()} throw instead of wait: poll. */
    private FileLock acquire(FileChannel channel) throws IOException {
        while (true) {
            try {
                return channel.lock();
            } catch (OverlappingFileLockException e) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the lock on " + dir);
                }
            }
        }
    }
}
