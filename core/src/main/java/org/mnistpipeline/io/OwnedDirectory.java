package org.mnistpipeline.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A work directory ({@code <prefix><uuid>}) whose owner holds an OS lock on a sibling file
 * ({@code <prefix><uuid>.owner}) for as long as it lives. The OS drops the lock when the owner
 * dies, however it dies, so {@link #sweep} can tell a crash's leftovers from another process's
 * work in progress without guessing from ages or process ids.
 */
public final class OwnedDirectory implements AutoCloseable {
    static final String OWNER = ".owner";
    /** An owner file without its directory is only removed once this old (see {@link #sweep}). */
    private static final Duration ORPHAN_AGE = Duration.ofHours(1);

    private final Path dir;
    private final Path ownerFile;
    private final FileChannel channel;
    private final FileLock lock;

    private OwnedDirectory(Path dir, Path ownerFile, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.ownerFile = ownerFile;
        this.channel = channel;
        this.lock = lock;
    }

    /** Creates {@code parent/<prefix><uuid>}, owned by this process until {@link #close}. */
    public static OwnedDirectory create(Path parent, String prefix) throws IOException {
        String name = prefix + UUID.randomUUID();
        Path ownerFile = parent.resolve(name + OWNER);
        // The lock is taken before the directory exists, so no sweep ever sees the directory unowned.
        FileChannel channel = FileChannel.open(ownerFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.lock();
            Path dir = Files.createDirectory(parent.resolve(name));
            return new OwnedDirectory(dir, ownerFile, channel, lock);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(ownerFile);
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    /** Removes the directory (if it was not moved away) and then the owner file. */
    @Override
    public void close() {
        try {
            FileTrees.delete(dir);
        } catch (IOException ignored) {
            // a leftover is removed by the next sweep, once this process's lock is gone
        }
        try {
            lock.release();
            channel.close();
            Files.deleteIfExists(ownerFile);
        } catch (IOException ignored) {
            // as above
        }
    }

    /**
     * Deletes the directories named {@code prefix…} in {@code parent} whose owner is gone: its
     * owner file is unlocked, or absent (left by a release before owners existed). A directory
     * whose owner still holds its lock, in this process or another, is left alone. Returns what
     * was removed.
     */
    public static List<Path> sweep(Path parent, String prefix) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(parent)) {
            return removed;
        }
        List<Path> entries;
        try (Stream<Path> list = Files.list(parent)) {
            entries = list.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
        for (Path entry : entries) {
            try {
                if (sweepOne(parent, entry)) {
                    removed.add(entry);
                }
            } catch (NoSuchFileException e) {
                // removed meanwhile: by its owner finishing, or with its directory just above
            }
        }
        return removed;
    }

    /** Removes {@code entry} if it is a directory whose owner is gone, or an old orphaned owner file. */
    private static boolean sweepOne(Path parent, Path entry) throws IOException {
        String name = entry.getFileName().toString();
        if (name.endsWith(OWNER)) {
            Path dir = parent.resolve(name.substring(0, name.length() - OWNER.length()));
            // Without its directory, an owner file may be one being created right now: only old ones go.
            if (!Files.exists(dir) && isOld(entry) && ownerGone(entry)) {
                Files.deleteIfExists(entry);
            }
            return false;
        }
        Path ownerFile = parent.resolve(name + OWNER);
        if (Files.isDirectory(entry) && (!Files.exists(ownerFile) || ownerGone(ownerFile))) {
            FileTrees.delete(entry);
            Files.deleteIfExists(ownerFile);
            return true;
        }
        return false;
    }

    private static boolean isOld(Path file) throws IOException {
        FileTime modified = Files.getLastModifiedTime(file);
        return modified.toInstant().isBefore(Instant.now().minus(ORPHAN_AGE));
    }

    /** True when nobody holds the owner file's lock (its owner died). */
    private static boolean ownerGone(Path ownerFile) throws IOException {
        try (FileChannel channel = FileChannel.open(ownerFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return false; // another process holds it
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // this process holds it
        } catch (NoSuchFileException e) {
            return true; // its owner closed it meanwhile
        }
    }
}
