package org.mnistpipeline.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Window summaries on disk: {@code <dir>/<model-version>/<window-start>-<instance>.json}, one file
 * per window and writer, each written atomically.
 *
 * @param dir the directory holding one subdirectory per model version
 */
public record LocalSummaryStore(Path dir) implements SummaryStore {

    @Override
    public String write(PredictionSummary summary, String instance) {
        Path file = versionDir(summary.modelVersion()).resolve(SummaryStore.entryName(summary, instance));
        summary.write(file);
        return file.toString();
    }

    @Override
    public Found read(String modelVersion, Instant from, Instant to) {
        Path versionDir = versionDir(modelVersion);
        if (!Files.isDirectory(versionDir)) {
            return new Found(List.of(), 0);
        }
        Overlapping overlapping = new Overlapping(modelVersion, from, to);
        try (Stream<Path> files = Files.list(versionDir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                // Skips AtomicFiles' temporaries and anything else that is not ours, and entries that
                // start after the span or too early to reach into it.
                if (!name.startsWith(".") && name.endsWith(".json") && SummaryStore.mayOverlap(name, from, to)) {
                    overlapping.offer(() -> PredictionSummary.read(file));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + versionDir, e);
        }
        return overlapping.found();
    }

    @Override
    public String location() {
        return dir.toString();
    }

    /**
     * What retention removes: the summary files whose window started before {@code cutoff}, and
     * temporary files older than that left by a writer that died. For each version in
     * {@code inUse} (the ones aliases point at), the newest {@link #SummaryStore.MAX_WINDOW} of its files is
     * kept whatever its age, so that a drift check of a served model that saw no traffic lately
     * still finds what it saw last. Files the store did not name are left alone.
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
                Instant newest = files.stream().map(f -> SummaryStore.nameTime(f.getFileName().toString()))
                        .filter(java.util.Objects::nonNull).max(Instant::compareTo).orElse(null);
                Instant keepFrom = inUse.contains(version) && newest != null
                        ? min(cutoff, newest.minus(SummaryStore.MAX_WINDOW)) : cutoff;
                for (Path file : files) {
                    String name = file.getFileName().toString();
                    Instant named = SummaryStore.nameTime(name);
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

    private Path versionDir(String modelVersion) {
        return dir.resolve(SummaryStore.safe(modelVersion, "model version"));
    }
}
