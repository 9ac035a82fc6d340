package org.mnistpipeline.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What housekeeping ({@code mnist gc}) would delete, each with its size and why, so that a dry run
 * and the real one say the same thing.
 */
public final class Cleanup {
    private Cleanup() {}

    /**
     * One file or directory to delete.
     *
     * @param path   what goes
     * @param bytes  its size on disk (a directory's files added up)
     * @param reason why it may go, for people
     */
    public record Item(Path path, long bytes, String reason) {}

    /** An item for {@code path} with its size measured now. */
    public static Item of(Path path, String reason) {
        return new Item(path, bytes(path), reason);
    }

    /** The size of a file, or of every file under a directory; 0 for what is gone. */
    public static long bytes(Path path) {
        try (Stream<Path> files = Files.walk(path)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + path, e);
        }
    }

    /** Total size of {@code items}. */
    public static long bytes(List<Item> items) {
        return items.stream().mapToLong(Item::bytes).sum();
    }

    /** Deletes an item (a whole directory tree for a directory); one already gone is no error. */
    public static void delete(Item item) {
        try {
            FileTrees.delete(item.path());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + item.path() + ": " + e.getMessage(), e);
        }
    }
}
