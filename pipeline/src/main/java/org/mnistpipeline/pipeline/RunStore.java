package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Run records: per run, the pipeline state document (as a Step Functions execution would carry it),
 * the next step, and each step's input, output, duration and error; rewritten after every step.
 * One JSON file per run in a directory ({@link #under}), or one object per run under a prefix
 * ({@link ObjectRunStore}). Only the holder of the pipeline's lock writes.
 */
public interface RunStore {

    /** Writes {@code run}, replacing its earlier record. */
    void save(RunRecord run);

    Optional<RunRecord> find(String id);

    /** Every run, oldest first (ids sort by start time). */
    List<RunRecord> list();

    /** Where the record of run {@code id} is, for messages: a file or an {@code s3://} URI. */
    String location(String id);

    /** The run records of the pipeline whose directory is {@code pipelineHome}. */
    static RunStore under(Path pipelineHome) {
        return new LocalRunStore(pipelineHome.resolve("runs"));
    }

    /**
     * One run.
     *
     * @param status  {@code running} (also a run that was killed), {@code succeeded} or {@code failed}
     * @param outcome {@code promoted}, {@code rejected}, {@code skipped} or {@code failed}; null while running
     * @param next    the step to run next; null once finished
     * @param state   the pipeline state: the request and every completed step's output, by step name
     */
    record RunRecord(String id, String status, String outcome, String startedAt, String finishedAt,
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
    record StepRun(String name, int attempt, String status, String startedAt, double seconds, JsonNode input,
            JsonNode output, String error) {}
}
