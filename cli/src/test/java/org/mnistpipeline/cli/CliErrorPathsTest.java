package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliErrorPathsTest {
    @TempDir
    Path home;

    private CliRunner.Result run(String... args) {
        return new CliRunner(home).run(args);
    }

    @Test
    void missingDataDirectoryExitsWithDataCodeAndOneLine() {
        var r = run("train", "--data", home.resolve("nowhere").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(r.err().strip()).startsWith("mnist: error: data directory").contains("does not exist")
                .doesNotContain("\tat ").hasLineCount(1);
    }

    @Test
    void verboseAddsTheStackTrace() {
        var r = run("train", "--verbose", "--data", home.resolve("nowhere").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(r.err()).contains("\tat org.mnistpipeline");
    }

    @Test
    void directoryWithoutIdxFilesNamesWhatIsMissing() {
        var r = run("data", "info", "--data", home.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(r.err()).contains("lacks IDX files").contains("train-images");
    }

    @Test
    void badFlagValueIsAUsageError() {
        var r = run("train", "--epochs", "many");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--epochs").contains("many");
    }

    @Test
    void unknownFlagIsAUsageError() {
        assertThat(run("train", "--turbo").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void invalidHyperparameterIsRefusedBeforeTraining() {
        var r = run("train", "--lr", "-1");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("learning rate");
    }

    @Test
    void unknownPresetIsAUsageError() {
        var r = run("train", "--preset", "turbo");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("unknown preset 'turbo'");
    }

    @Test
    void resumeWithoutRunDirIsAUsageError() {
        assertThat(run("train", "--resume").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void unknownModelVersionExitsWithNotFound() {
        var r = run("models", "show", "v99");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(r.err()).startsWith("mnist: error:").contains("v99");
    }

    @Test
    void evaluateWithoutAProductionModelExitsWithNotFound() {
        assertThat(run("evaluate").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] command : new String[][] {{"--help"}, {"train", "--help"}, {"tune", "--help"},
                {"evaluate", "--help"}, {"demo", "--help"}, {"data", "fetch", "--help"}, {"models", "list", "--help"},
                {"models", "promote", "--help"}, {"models", "rollback", "--help"}}) {
            var r = run(command);
            assertThat(r.exitCode()).as(String.join(" ", command)).isZero();
            assertThat(r.out()).as(String.join(" ", command)).contains("Usage:");
        }
    }
}
