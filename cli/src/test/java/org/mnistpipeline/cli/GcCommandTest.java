package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.monitor.PredictionSummary;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.pipeline.PipelineLock;
import org.mnistpipeline.pipeline.RunStore;
import org.mnistpipeline.registry.LocalModelRegistry;

/**
 * {@code mnist gc} on a home with a registry (v1 in production, v2 not aliased), minute summaries
 * of both spread over three weeks, and the work directories of a finished, a resumable failed, a
 * failed-for-good, a running and a recent run, and of two unrecorded ones ({@code mnist retrain
 * step} keeps no record): a dry run by default, deletion with {@code --delete}, and nothing an
 * alias, a resumable run or a Step Functions execution still writing needs.
 */
class GcCommandTest {
    @TempDir
    Path home;

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);
    private SummaryStore summaries;

    @BeforeEach
    void populate() throws IOException {
        Path staged = Files.createDirectories(home.resolve("staged"));
        for (String file : List.of("model.onnx", "manifest.json", "weights.safetensors")) {
            try (InputStream in = getClass().getResourceAsStream("/fixtures/small-v1/" + file)) {
                Files.copy(in, staged.resolve(file));
            }
        }
        LocalModelRegistry registry = new LocalModelRegistry(home.resolve("registry"));
        registry.register(staged);
        registry.register(staged);
        registry.promote("v1", "production");

        summaries = SummaryStore.local(home.resolve("monitoring"));
        // v1 (production) served last 20 days ago: 10 minutes then, and 10 minutes two days before.
        minutes("v1", now.minus(Duration.ofDays(20)), 10);
        minutes("v1", now.minus(Duration.ofDays(22)), 10);
        // v2: 10 minutes 20 days ago, 10 minutes 2 days ago.
        minutes("v2", now.minus(Duration.ofDays(20)), 10);
        minutes("v2", now.minus(Duration.ofDays(2)), 10);

        run("run-finished-long-ago", "succeeded", "rejected", now.minus(Duration.ofDays(10)), null);
        run("run-failed", "failed", "failed", now.minus(Duration.ofDays(10)), "train");
        run("run-killed", "running", null, null, "evaluate");
        run("run-finished-yesterday", "succeeded", "promoted", now.minus(Duration.ofDays(1)), null);
        // The graph's Fail state: a failed run with no step to resume from.
        run("run-failed-for-good", "failed", "failed", now.minus(Duration.ofDays(10)), null);
        // `mnist retrain step` (a Step Functions execution) keeps no run record: one left 30 days ago,
        // and one whose train step, begun 30 days ago, wrote its weights an hour ago.
        touchTree(workDir("run-unrecorded"), now.minus(Duration.ofDays(30)));
        Path training = workDir("execution-still-training");
        touchTree(training, now.minus(Duration.ofDays(30)));
        Files.setLastModifiedTime(training.resolve("train-full/weights.params"),
                FileTime.from(now.minus(Duration.ofHours(1))));
    }

    private static void touchTree(Path dir, Instant when) throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.toList()) {
                Files.setLastModifiedTime(p, FileTime.from(when));
            }
        }
    }

    private void minutes(String version, Instant start, int count) {
        for (int i = 0; i < count; i++) {
            Instant from = start.plus(Duration.ofMinutes(i));
            summaries.write(PredictionSummary.empty(version, 10, from, from.plus(Duration.ofMinutes(1))), "server-1");
        }
    }

    /** A work directory holding 100 kB of "weights", as a training run leaves one. */
    private Path workDir(String id) throws IOException {
        Path dir = Files.createDirectories(home.resolve("pipeline/work").resolve(id).resolve("train-full"));
        Files.write(dir.resolve("weights.params"), new byte[100_000]);
        return dir.getParent();
    }

    private void run(String id, String status, String outcome, Instant finished, String next) throws IOException {
        ObjectNode state = Json.mapper().createObjectNode();
        RunStore.under(home.resolve("pipeline")).save(new RunStore.RunRecord(id, status, outcome,
                now.minus(Duration.ofDays(11)).toString(), finished == null ? null : finished.toString(), next, state,
                List.of()));
        workDir(id);
    }

    private long files(String version) throws IOException {
        Path dir = home.resolve("monitoring").resolve(version);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.count();
        }
    }

    private boolean work(String id) {
        return Files.isDirectory(home.resolve("pipeline/work").resolve(id));
    }

    @Test
    void byDefaultItOnlySaysWhatItWouldDelete() throws IOException {
        CliRunner.Result result = new CliRunner(home).run("gc");

        assertThat(result.exitCode()).as(result.err()).isZero();
        // v1: the older 10 (the newest day of an aliased model stays); v2: the 10 from 20 days ago.
        assertThat(result.out()).contains("would delete 20 monitoring summaries")
                .contains("would delete 3 retraining work directories (300.0 kB)")
                .contains("run-finished-long-ago").contains("run-unrecorded").contains("run-failed-for-good")
                .contains("kept execution-still-training: no run record, and changed on")
                .contains("kept run-failed: the run failed at step train and can be resumed (mnist retrain --resume"
                        + " run-failed)")
                .contains("kept run-killed").contains("run `mnist gc --delete`");
        assertThat(files("v1")).isEqualTo(20);
        assertThat(files("v2")).isEqualTo(20);
        assertThat(work("run-finished-long-ago")).isTrue();
    }

    @Test
    void deleteRemovesExactlyWhatTheDryRunListed() throws IOException {
        CliRunner cli = new CliRunner(home);
        String dry = cli.run("gc", "--json").out();

        CliRunner.Result result = cli.run("gc", "--delete", "--json");

        assertThat(result.exitCode()).as(result.err()).isZero();
        var deleted = Json.mapper().readTree(result.out());
        var planned = Json.mapper().readTree(dry);
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertThat(deleted.get("monitoringSummaries")).isEqualTo(planned.get("monitoringSummaries"));
        assertThat(deleted.get("workDirectories")).isEqualTo(planned.get("workDirectories"));
        assertThat(files("v1")).as("the newest day of production's summaries").isEqualTo(10);
        assertThat(files("v2")).isEqualTo(10);
        assertThat(summaries.read("v1", now.minus(Duration.ofDays(21)), now).summaries()).hasSize(10);
        assertThat(work("run-finished-long-ago")).isFalse();
        assertThat(work("run-unrecorded")).isFalse();
        assertThat(work("run-failed-for-good")).isFalse();
        assertThat(work("execution-still-training")).as("a Step Functions execution still writing").isTrue();
        assertThat(work("run-failed")).isTrue();
        assertThat(work("run-killed")).isTrue();
        assertThat(work("run-finished-yesterday")).isTrue();
        assertThat(new LocalModelRegistry(home.resolve("registry")).list()).hasSize(2);
        assertThat(cli.run("gc").out()).contains("would delete 0 monitoring summaries")
                .contains("would delete 0 retraining work directories");
    }

    @Test
    void whileARetrainingRunHoldsTheLockNothingIsDeleted() throws IOException {
        try (PipelineLock running = PipelineLock.acquire(home.resolve("pipeline/lock"))) {
            CliRunner.Result result = new CliRunner(home).run("gc", "--delete");

            assertThat(result.exitCode()).isEqualTo(ExitCodes.BUSY);
            assertThat(result.err()).contains("another retraining run is in progress");
        }
        assertThat(files("v2")).isEqualTo(20);
        assertThat(work("run-finished-long-ago")).isTrue();
    }

    @Test
    void aRetentionShorterThanASummaryWindowIsRefused() {
        CliRunner.Result result = new CliRunner(home).run("gc", "--keep-monitoring", "1h", "--delete");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("--keep-monitoring must be at least 1d");
    }
}
