package org.mnistpipeline.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.io.Json;

/** Reads a {@code metrics.jsonl} training log (one EpochMetrics per line). */
final class TrainingLog {
    private TrainingLog() {}

    static List<EpochMetrics> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            return Files.readAllLines(file).stream().filter(l -> !l.isBlank())
                    .map(l -> Json.parse(l, EpochMetrics.class)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
