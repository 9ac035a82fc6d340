package org.mnistpipeline.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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

    private Path versionDir(String modelVersion) {
        return dir.resolve(SummaryStore.safe(modelVersion, "model version"));
    }
}
