package org.mnistpipeline.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes that never leave a half-written file behind: content goes to a temporary sibling,
 * is forced to disk, then renamed over the target in one atomic step, and the directory is
 * forced too, so the rename itself survives a power cut (without that, ext4 and XFS may
 * bring back the old name after a crash). A crash at any point leaves either the old file
 * or the new one.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Something that writes a file's content to a stream. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, byte[] content) {
        write(target, out -> out.write(content));
    }

    public static void writeString(Path target, String content) {
        write(target, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static void write(Path target, Writer writer) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream out = java.nio.channels.Channels.newOutputStream(channel)) {
                writer.write(out);
                out.flush();
                channel.force(true);
            }
            publish(tmp, target);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a stray .tmp file is harmless and ignored by readers
                }
            }
        }
    }

    /** Makes a finished temp file world-readable and renames it over {@code target} atomically. */
    public static void publish(Path finishedTemp, Path target) throws IOException {
        readableByAll(finishedTemp);
        moveAtomically(finishedTemp, target);
    }

    /** Temp files are created owner-only (0600); published files are ordinary (0644) ones. */
    private static void readableByAll(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /**
     * Renames {@code source} over {@code target} atomically (same file system required), then
     * forces the directories involved, so the new name is on disk when this returns.
     */
    public static void moveAtomically(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("file system cannot rename atomically: " + target.getParent(), e);
        }
        Path to = target.toAbsolutePath().getParent();
        Path from = source.toAbsolutePath().getParent();
        fsyncDirectory(to);
        if (!from.equals(to)) {
            fsyncDirectory(from);
        }
    }

    /**
     * Forces {@code dir}'s entries (names created, renamed or removed in it) to disk. Best effort
     * where a directory cannot be opened (Windows) or synced (some network file systems answer
     * EINVAL): there the rename is as durable as the file system makes it.
     */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // see above: nothing better can be done here, and the data itself was forced already
        }
    }
}
