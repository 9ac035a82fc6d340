package org.mnistpipeline.io;

import java.util.Optional;

/**
 * Recognises the two storage failures a user can fix and should be told about in words: a full
 * file system and a read-only one. The JDK reports them only as text ("No space left on device",
 * "Read-only file system", the strerror of ENOSPC and EROFS), in an IOException or a
 * FileSystemException somewhere down a cause chain.
 */
public final class DiskProblems {
    private DiskProblems() {}

    /** What to tell the user about {@code failure} on {@code where}, when it is one of the two. */
    public static Optional<String> describe(Throwable failure, Object where) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String text = t instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
                    ? fs.getReason() : t.getMessage();
            if (text == null) {
                continue;
            }
            if (text.contains("No space left on device") || text.contains("Disk quota exceeded")) {
                return Optional.of(where + ": no space left on device; nothing was changed: free some space and"
                        + " run the command again");
            }
            if (text.contains("Read-only file system") || t instanceof java.nio.file.ReadOnlyFileSystemException) {
                return Optional.of(where + " is on a read-only file system: reading works, but this command needs to"
                        + " write; run it where the directory is mounted read-write");
            }
        }
        return Optional.empty();
    }
}
