package org.mnistpipeline.inference.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short coverage-guided fuzzing runs (Jazzer; {@code -Dfuzz.seconds}, 5 s each by default) of the
 * image preprocessor, the tensor decoders and the IDX reader: nothing but the expected refusal may
 * come out of them. {@code bench/fuzz-decoders.sh} runs the same targets for longer.
 */
class DecoderFuzzTest {
    private static final Duration RUN = Duration.ofSeconds(Long.getLong("fuzz.seconds", 5));

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "ImagePreprocessorFuzz, com.sun.imageio.**:javax.imageio.**",
            "TensorDecodersFuzz, com.fasterxml.jackson.core.**",
            "IdxFuzz, ''"})
    void fuzzingFindsNothingButTheExpectedRefusals(String target, String instrument) {
        String className = DecoderFuzzTest.class.getPackageName() + "." + target;
        FuzzRun.Result result = FuzzRun.run(className, instrument, FuzzRun.seedsOf(className), RUN, work,
                FuzzRun.classpath());
        System.out.println("fuzz " + result.json());
        assertThat(result.findings()).as("inputs that broke %s:%n%s", target, result.outputTail()).isEmpty();
        assertThat(result.exitCode()).as(result.outputTail()).isZero();
        assertThat(result.executions()).as("it ran").isPositive();
    }
}
