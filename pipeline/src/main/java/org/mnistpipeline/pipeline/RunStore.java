package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * Run records, one JSON file per run under {@code runs/}, rewritten atomically after every step:
 * the pipeline state document (as a Step Functions execution would carry it), the next step,
 * and each step's input, output, duration and error.
 */
public final class RunStore {
    private final Path dir;

    public RunStore(Path dir) {
        this.dir = dir;
    }

    /** The run records of the pipeline whose directory is {@code pipelineHome}. */
    public static RunStore under(Path pipelineHome) {
        return new RunStore(pipelineHome.resolve("runs"));
    }

    public Path dir() {
        return dir;
    }

    /**
     * One run.
     *
     * @param status  {@code running} (also a run that was killed), {@code succeeded} or {@code failed}
     * @param outcome {@code promoted}, {@code rejected}, {@code skipped} or {@code failed}; null while running
     * @param next    the step to run next; null once finished
     * @param state   the pipeline state: the request and every completed step's output, by step name
     */
    public record RunRecord(String id, String status, String outcome, String startedAt, String finishedAt,
            String next, ObjectNode state, List<StepRun> steps) {

        public RunRecord {
            steps = List.copyOf(steps);
        }

        RunRecord with(String newStatus, String newOutcome, String newFinishedAt, String newNext, ObjectNode newState,
                List<StepRun> newSteps) {
            return new RunRecord(id, newStatus, newOutcome, startedAt, newFinishedAt, newNext, newState, newSteps);
        }

        public boolean finished() {
            return !"running".equals(status);
        }

        public Optional<StepRun> lastStep(String name) {
            return steps.reversed().stream().filter(s -> s.name().equals(name)).findFirst();
        }
    }

    /** One execution of a step; {@code attempt} counts repeats of the same step in a run. */
    public record StepRun(String name, int attempt, String status, String startedAt, double seconds, JsonNode input,
            JsonNode output, String error) {}

    public void save(RunRecord run) {
        Json.writeAtomically(dir.resolve(run.id() + ".json"), run);
    }

    public Optional<RunRecord> find(String id) {
        Path file = dir.resolve(id + ".json");
        return Files.exists(file) ? Optional.of(Json.read(file, RunRecord.class)) : Optional.empty();
    }

    /** Every run, oldest first (ids sort by start time). */
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
}
