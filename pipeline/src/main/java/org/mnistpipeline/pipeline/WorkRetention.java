package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.mnistpipeline.io.Cleanup;
import org.mnistpipeline.pipeline.RunStore.RunRecord;

/**
 * Retention of the retraining pipeline's work directories ({@code <pipeline>/work/<run>/}: the
 * training runs, challengers' weights and staged packages of each run). A registered model was
 * copied into the registry, so a finished run's directory is never needed again; a failed run's is
 * kept (it can be resumed: {@code mnist retrain --resume RUN}), and so is a run in progress's.
 *
 * <p>Works on the layout every pipeline runner keeps: run records under {@code runs/} (see
 * {@link RunStore}), work directories named by run id under {@code work/}, the lock at {@code lock}.
 * A work directory may have no run record: {@code mnist retrain step}, which a Step Functions
 * execution calls once per step, writes into {@code work/<execution>/} and keeps no record (the
 * execution's history is its record) and takes no lock. Such a directory goes only once nothing in
 * it has changed for the retention period, so an execution still training is never touched.
 */
public final class WorkRetention {
    private final Path home;

    /** @param home the pipeline's directory ({@code $MNIST_HOME/pipeline}) */
    public WorkRetention(Path home) {
        this.home = home;
    }

    /** What {@link #plan} found: directories that may go, and those kept with the reason why. */
    public record Plan(List<Cleanup.Item> delete, List<String> kept) {
        public Plan {
            delete = List.copyOf(delete);
            kept = List.copyOf(kept);
        }
    }

    /**
     * The work directories of runs that finished before {@code cutoff} and of no run at all
     * (nothing in them modified since {@code cutoff}); runs that are still running, or failed at a
     * step they can be resumed from, are kept.
     */
    public Plan plan(Instant cutoff) {
        Path work = home.resolve("work");
        List<Cleanup.Item> delete = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        if (!Files.isDirectory(work)) {
            return new Plan(delete, kept);
        }
        Map<String, RunRecord> runs = RunStore.under(home).list().stream()
                .collect(Collectors.toMap(RunRecord::id, Function.identity(), (a, b) -> b));
        try (Stream<Path> dirs = Files.list(work)) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                String id = dir.getFileName().toString();
                Optional<RunRecord> run = Optional.ofNullable(runs.get(id));
                if (run.isEmpty()) {
                    Instant touched = lastModified(dir);
                    if (touched.isBefore(cutoff)) {
                        delete.add(Cleanup.of(dir, "work directory of no recorded run (such as a Step Functions"
                                + " execution's), unchanged since " + touched));
                    } else {
                        kept.add(id + ": no run record, and changed on " + touched + " (an execution may be running"
                                + " its steps)");
                    }
                } else if ("running".equals(run.get().status())) {
                    kept.add(id + ": the run is in progress, or was killed and resumes with the next `mnist retrain`");
                } else if ("failed".equals(run.get().status()) && run.get().next() != null) {
                    kept.add(id + ": the run failed at step " + run.get().next() + " and can be resumed"
                            + " (mnist retrain --resume " + id + ")");
                } else if (run.get().finishedAt() != null && Instant.parse(run.get().finishedAt()).isBefore(cutoff)) {
                    delete.add(Cleanup.of(dir, "run " + run.get().outcome() + " on " + run.get().finishedAt()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + work, e);
        }
        return new Plan(delete, kept);
    }

    /** The newest modification time of anything in {@code dir}, itself included. */
    private static Instant lastModified(Path dir) throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            Instant newest = Instant.EPOCH;
            for (Path p : tree.toList()) {
                Instant t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
                newest = t.isAfter(newest) ? t : newest;
            }
            return newest;
        }
    }

    /**
     * Deletes what {@link #plan} says, holding the pipeline's lock so that no run starts or resumes
     * meanwhile ({@link PipelineLock.BusyException} while one is in progress: nothing is deleted).
     * The plan is made again under the lock; returns what was deleted.
     */
    public List<Cleanup.Item> delete(Instant cutoff) {
        try (PipelineLock ignored = PipelineLock.acquire(home.resolve("lock"))) {
            List<Cleanup.Item> items = plan(cutoff).delete();
            items.forEach(Cleanup::delete);
            return items;
        }
    }
}
