package org.mnistpipeline.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Window summaries on disk: {@code <dir>/<model-version>/<window-start>-<instance>.json}, one file
 * per window and writer, each written atomically. The instance part keeps two servers (or a
 * restarted one) sharing a directory from replacing each other's files; readers rely on the
 * window times inside the file, never on the name.
 */
public final class SummaryStore {
    /**
     * The longest window a writer may use. Lets {@link #read} skip, by name alone, files that
     * start too early to overlap: a year of one-minute windows is half a million files.
     */
    public static final Duration MAX_WINDOW = Duration.ofDays(1);
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path dir;

    public SummaryStore(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Writes {@code summary} atomically and returns the file. */
    public Path write(PredictionSummary summary, String instance) {
        Path file = versionDir(summary.modelVersion())
                .resolve(NAME_TIME.format(summary.start()) + "-" + safe(instance, "instance") + ".json");
        summary.write(file);
        return file;
    }

    /** What {@link #read} found: summaries overlapping the window, and how many files were unreadable. */
    public record Found(List<PredictionSummary> summaries, int skipped) {}

    /**
     * The summaries of {@code modelVersion} whose windows overlap {@code [from, to)}; a window that
     * straddles {@code from} counts whole (windows are short next to a drift check's span).
     * Unreadable files are skipped and counted, so one torn or foreign file cannot stop monitoring.
     */
    public Found read(String modelVersion, Instant from, Instant to) {
        Path versionDir = versionDir(modelVersion);
        if (!Files.isDirectory(versionDir)) {
            return new Found(List.of(), 0);
        }
        List<PredictionSummary> found = new ArrayList<>();
        int skipped = 0;
        try (Stream<Path> files = Files.list(versionDir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith(".") || !name.endsWith(".json")) {
                    continue; // AtomicFiles' temporaries and anything else that is not ours
                }
                Instant named = nameTime(name);
                if (named != null && (!named.isBefore(to) || named.isBefore(from.minus(MAX_WINDOW)))) {
                    continue; // starts after the span, or too early to reach into it
                }
                PredictionSummary summary;
                try {
                    summary = PredictionSummary.read(file);
                } catch (RuntimeException e) {
                    skipped++;
                    continue;
                }
                if (!summary.modelVersion().equals(modelVersion)) {
                    skipped++;
                } else if (summary.end().isAfter(from) && summary.start().isBefore(to)) {
                    found.add(summary);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + versionDir, e);
        }
        return new Found(found, skipped);
    }

    /**
     * What retention removes: the summary files whose window started before {@code cutoff}, and
     * temporary files older than that left by a writer that died. For each version in
     * {@code inUse} (the ones aliases point at), the newest {@link #MAX_WINDOW} of its files is
     * kept whatever its age, so that a drift check of a served model that saw no traffic lately
     * still finds what it saw last. Files this class did not name are left alone.
     */
    public List<org.mnistpipeline.io.Cleanup.Item> expired(Instant cutoff, java.util.Set<String> inUse) {
        List<org.mnistpipeline.io.Cleanup.Item> items = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return items;
        }
        try (Stream<Path> versions = Files.list(dir)) {
            for (Path versionDir : versions.filter(Files::isDirectory).sorted().toList()) {
                String version = versionDir.getFileName().toString();
                List<Path> files;
                try (Stream<Path> list = Files.list(versionDir)) {
                    files = list.sorted().toList();
                }
                Instant newest = files.stream().map(f -> nameTime(f.getFileName().toString()))
                        .filter(java.util.Objects::nonNull).max(Instant::compareTo).orElse(null);
                Instant keepFrom = inUse.contains(version) && newest != null
                        ? min(cutoff, newest.minus(MAX_WINDOW)) : cutoff;
                for (Path file : files) {
                    String name = file.getFileName().toString();
                    Instant named = nameTime(name);
                    if (named != null && name.endsWith(".json") && named.isBefore(keepFrom)) {
                        items.add(org.mnistpipeline.io.Cleanup.of(file, "summary of " + version + " from " + named));
                    } else if (name.startsWith(".") && name.endsWith(".tmp")
                            && Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
                        items.add(org.mnistpipeline.io.Cleanup.of(file, "temporary file of a writer that died"));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return items;
    }

    /** Removes version directories that retention left empty (a model long out of service). */
    public void removeEmptyVersionDirectories() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> versions = Files.list(dir)) {
            for (Path versionDir : versions.filter(Files::isDirectory).toList()) {
                try (Stream<Path> left = Files.list(versionDir)) {
                    if (left.findAny().isEmpty()) {
                        Files.deleteIfExists(versionDir);
                    }
                } catch (java.nio.file.DirectoryNotEmptyException raced) {
                    // a server wrote a new summary meanwhile: the directory is in use again
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** The window start a file name begins with, or null for a name this class did not write. */
    private static Instant nameTime(String name) {
        int length = "yyyyMMddTHHmmss.SSSZ".length();
        if (name.length() < length) {
            return null;
        }
        try {
            return Instant.from(NAME_TIME.parse(name.substring(0, length)));
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private Path versionDir(String modelVersion) {
        return dir.resolve(safe(modelVersion, "model version"));
    }

    /** Names become path elements: letters, digits, dot, dash and underscore only. */
    private static String safe(String value, String what) {
        if (value == null || !SAFE.matcher(value).matches() || value.contains("..")) {
            throw new IllegalArgumentException(what + " '" + value
                    + "' cannot name a file; use letters, digits, '.', '-' and '_'");
        }
        return value;
    }
}
