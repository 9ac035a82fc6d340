package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.fuzz.FuzzRun;

/**
 * A short coverage-guided fuzzing run (Jazzer; {@code -Dfuzz.seconds}, 5 s by default) of the S3
 * batch formats; {@code bench/fuzz-decoders.sh} runs it for longer.
 */
class BatchFormatFuzzTest {
    @TempDir
    Path work;

    @Test
    void fuzzingTheBatchFormatsFindsNothingButTheExpectedRefusals() {
        String target = BatchFormatFuzz.class.getName();
        FuzzRun.Result result = FuzzRun.run(target, "", FuzzRun.seedsOf(target),
                Duration.ofSeconds(Long.getLong("fuzz.seconds", 5)), work, FuzzRun.classpath());
        System.out.println("fuzz " + result.json());
        assertThat(result.findings()).as("inputs that broke the batch formats:%n%s", result.outputTail()).isEmpty();
        assertThat(result.exitCode()).as(result.outputTail()).isZero();
        assertThat(result.executions()).as("it ran").isPositive();
    }
}
