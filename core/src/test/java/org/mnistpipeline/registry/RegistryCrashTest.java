package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.registry.CrashPoints.Step;

/**
 * Each test lets a write "crash" at one step (the seam throws), then opens a fresh registry over
 * the same directory, as a restarted process would, and checks it sees the old state or the new.
 */
class RegistryCrashTest {
    @TempDir
    Path tmp;

    /** Stands in for the process dying: nothing after the throw point runs. */
    static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash(Step step) {
            super("simulated crash at " + step);
        }
    }

    private Path root() {
        return tmp.resolve("registry");
    }

    private LocalModelRegistry healthy() {
        return new LocalModelRegistry(root());
    }

    private LocalModelRegistry crashingAt(Step crashStep) {
        return new LocalModelRegistry(root(), Clock.systemUTC(), step -> {
            if (step == crashStep) {
                throw new SimulatedCrash(step);
            }
        });
    }

    private Path staged(String name) throws IOException {
        return TestPackages.staged(tmp.resolve("staged-" + name), "weights of " + name);
    }

    @ParameterizedTest
    @EnumSource(value = Step.class, names = {"ALIAS_VERIFIED", "ALIAS_WRITING"})
    void crashDuringPromoteLeavesTheOldAliasIntactAndReadable(Step step) throws IOException {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");

        assertThatThrownBy(() -> crashingAt(step).promote("v2", "production")).isInstanceOf(SimulatedCrash.class);

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.alias("production")).contains("v1");
        assertThat(restarted.get("production").weights()).hasContent("weights of a");
        assertThat(restarted.history("production")).hasSize(1);
        assertThatThrownBy(() -> restarted.rollback("production"))
                .hasMessageContaining("no previous version");
    }

    @Test
    void crashRightAfterTheAliasSwitchLeavesTheNewAliasComplete() throws IOException {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");

        assertThatThrownBy(() -> crashingAt(Step.ALIAS_SWITCHED).promote("v2", "production"))
                .isInstanceOf(SimulatedCrash.class);

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.alias("production")).contains("v2");
        assertThat(restarted.rollback("production")).isEqualTo("v1");
    }

    @Test
    void crashDuringRollbackLeavesTheAliasWhereItWas() throws IOException {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");
        healthy().promote("v2", "production");

        assertThatThrownBy(() -> crashingAt(Step.ALIAS_WRITING).rollback("production"))
                .isInstanceOf(SimulatedCrash.class);

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.alias("production")).contains("v2");
        assertThat(restarted.rollback("production")).isEqualTo("v1");
    }

    @ParameterizedTest
    @EnumSource(value = Step.class, names = {"REGISTER_COPIED", "REGISTER_SEALED", "REGISTER_NUMBER_RESERVED"})
    void crashDuringRegisterLeavesNoHalfRegisteredVersionVisible(Step step) throws IOException {
        healthy().register(staged("a"));

        assertThatThrownBy(() -> crashingAt(step).register(staged("b"))).isInstanceOf(SimulatedCrash.class);

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.list()).extracting(ModelManifest::version).containsExactly("v1");
        assertThatThrownBy(() -> restarted.get("v2")).isInstanceOf(RegistryException.NotFound.class);
        // A reserved number may be skipped, but the next version is whole and usable.
        String next = restarted.register(staged("c")).version();
        assertThat(restarted.get(next).weights()).hasContent("weights of c");
        assertThat(restarted.list()).hasSize(2);
    }

    @Test
    void crashRightAfterPublishingLeavesACompleteVersion() throws IOException {
        assertThatThrownBy(() -> crashingAt(Step.REGISTER_PUBLISHED).register(staged("a")))
                .isInstanceOf(SimulatedCrash.class);

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.get("v1").weights()).hasContent("weights of a");
        assertThat(restarted.register(staged("b")).version()).isEqualTo("v2");
    }

    @Test
    void crashDuringDeleteNeverResurrectsTheVersionOrReusesItsNumber() throws IOException {
        healthy().register(staged("a"));
        healthy().register(staged("b"));

        assertThatThrownBy(() -> crashingAt(Step.DELETE_UNPUBLISHED).delete("v2"))
                .isInstanceOf(SimulatedCrash.class);

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.list()).extracting(ModelManifest::version).containsExactly("v1");
        assertThat(restarted.register(staged("c")).version()).isEqualTo("v3");
    }

    @Test
    void crashedRegisterCleansUpItsStagingDirectoryWhenItCan() throws IOException {
        assertThatThrownBy(() -> crashingAt(Step.REGISTER_SEALED).register(staged("a")))
                .isInstanceOf(SimulatedCrash.class);

        try (var entries = Files.list(root())) {
            assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".staging-"));
        }
    }

    @Test
    void crashWhileAddingFilesLeavesTheOldPackageInPlaceOnceReopened() throws IOException {
        healthy().register(staged("a"));
        healthy().promote("v1", "production");

        assertThatThrownBy(() -> crashingAt(Step.ADD_FILES_SWAPPING).addFiles("v1",
                java.util.Map.of("model.onnx", new byte[] {1, 2, 3}))).isInstanceOf(SimulatedCrash.class);

        LocalModelRegistry reopened = healthy();
        ModelPackage pkg = reopened.get("production");
        assertThat(pkg.manifest().version()).isEqualTo("v1");
        assertThat(pkg.files()).doesNotContain("model.onnx");
        // And the interrupted operation can simply be run again.
        assertThat(reopened.addFiles("v1", java.util.Map.of("model.onnx", new byte[] {1, 2, 3})).files())
                .contains("model.onnx");
    }
}
