package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.mnistpipeline.io.Json;

/** Run records as one JSON file per run in a directory, each rewritten atomically. */
public final class LocalRunStore implements RunStore {
    private final Path dir;

    public LocalRunStore(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void save(RunRecord run) {
        Json.writeAtomically(dir.resolve(run.id() + ".json"), run);
    }

    @Override
    public Optional<RunRecord> find(String id) {
        Path file = dir.resolve(id + ".json");
        return Files.exists(file) ? Optional.of(Json.read(file, RunRecord.class)) : Optional.empty();
    }

    @Override
    public List<RunRecord> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<RunRecord> runs = new ArrayList<>();
            files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted(Comparator.naturalOrder())
                    .forEach(f -> runs.add(Json.read(f, RunRecord.class)));
            return runs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list runs in " + dir, e);
        }
    }

    @Override
    public String location(String id) {
        return dir.resolve(id + ".json").toString();
    }
}
