package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.registry.CrashPoints.Step;

/**
 * Each test runs a registry write in a child JVM, kills it with SIGKILL at one step (it blocks
 * there, see {@link CrashingRegistryMain}), then opens a fresh registry over the same directory,
 * as a restarted process would, and checks it sees the old state or the new. A real kill: no
 * {@code finally} block, shutdown hook or pending write runs after the step.
 */
class RegistryCrashTest {
    @TempDir
    Path tmp;

    /** Stands in for an operation that fails (throws) at a step: its clean-up does run. */
    static final class SimulatedFailure extends RuntimeException {
        SimulatedFailure(Step step) {
            super("simulated failure at " + step);
        }
    }

    private Path root() {
        return tmp.resolve("registry");
    }

    private LocalModelRegistry healthy() {
        return new LocalModelRegistry(root());
    }

    private LocalModelRegistry failingAt(Step failStep) {
        return new LocalModelRegistry(root(), Clock.systemUTC(), step -> {
            if (step == failStep) {
                throw new SimulatedFailure(step);
            }
        });
    }

    /** Runs {@code operation} in a child JVM and kills it (SIGKILL) once it reports reaching {@code step}. */
    private void killAt(Step step, String... operation) throws IOException, InterruptedException {
        Process child = blockedAt(step, operation);
        try {
            kill(child);
        } finally {
            child.destroyForcibly();
        }
    }

    /** Runs {@code operation} in a child JVM and returns it, alive, once it blocks at {@code step}. */
    private Process blockedAt(Step step, String... operation) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CrashingRegistryMain.class.getName(), root().toString(), step.name()));
        command.addAll(List.of(operation));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null && !line.equals(CrashingRegistryMain.REACHED + step)) {
            seen.add(line);
        }
        if (line == null) {
            child.destroyForcibly();
        }
        assertThat(line).as("child reached %s; its output: %s", step, seen).isNotNull();
        assertThat(child.isAlive()).as("blocked at the step").isTrue();
        return child;
    }

    private static void kill(Process child) throws InterruptedException {
        child.destroyForcibly(); // SIGKILL
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
    }

    private List<String> leftovers() throws IOException {
        try (var entries = Files.list(root())) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".staging-")
                    || n.startsWith(".trash-") || n.startsWith(".replaced-")).filter(n -> !n.endsWith(".owner")).sorted().toList();
        }
    }

    private Path staged(String name) throws IOException {
        return TestPackages.staged(tmp.resolve("staged-" + name), "weights of " + name);
    }

    @ParameterizedTest
    @EnumSource(value = Step.class, names = {"ALIAS_VERIFIED", "ALIAS_WRITING"})
    void crashDuringPromoteLeavesTheOldAliasIntactAndReadable(Step step) throws Exception {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");

        killAt(step, "promote", "v2", "production");

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.alias("production")).contains("v1");
        assertThat(restarted.get("production").weights()).hasContent("weights of a");
        assertThat(restarted.history("production")).hasSize(1);
        assertThatThrownBy(() -> restarted.rollback("production"))
                .hasMessageContaining("no previous version");
    }

    @Test
    void crashRightAfterTheAliasSwitchLeavesTheNewAliasComplete() throws Exception {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");

        killAt(Step.ALIAS_SWITCHED, "promote", "v2", "production");

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.alias("production")).contains("v2");
        assertThat(restarted.rollback("production")).isEqualTo("v1");
    }

    @ParameterizedTest
    @EnumSource(value = Step.class, names = {"ALIAS_VERIFIED", "ALIAS_WRITING"})
    void crashDuringRollbackLeavesTheAliasWhereItWas(Step step) throws Exception {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");
        healthy().promote("v2", "production");

        killAt(step, "rollback", "production");

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.alias("production")).contains("v2");
        assertThat(restarted.rollback("production")).isEqualTo("v1");
    }

    @Test
    void crashRightAfterTheRollbackSwitchLeavesItRolledBack() throws Exception {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");
        healthy().promote("v2", "production");

        killAt(Step.ALIAS_SWITCHED, "rollback", "production");

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.alias("production")).contains("v1");
        assertThat(restarted.history("production")).extracting(AliasChange::reason)
                .containsExactly("promote", "promote", "rollback");
        assertThatThrownBy(() -> restarted.rollback("production")).hasMessageContaining("no previous version");
    }

    @ParameterizedTest
    @EnumSource(value = Step.class, names = {"REGISTER_COPIED", "REGISTER_SEALED", "REGISTER_NUMBER_RESERVED"})
    void crashDuringRegisterLeavesNoHalfRegisteredVersionVisible(Step step) throws Exception {
        healthy().register(staged("a"));

        killAt(step, "register", staged("b").toString());

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.list()).extracting(ModelManifest::version).containsExactly("v1");
        assertThatThrownBy(() -> restarted.get("v2")).isInstanceOf(RegistryException.NotFound.class);
        // A reserved number may be skipped, but the next version is whole and usable.
        String next = restarted.register(staged("c")).version();
        assertThat(restarted.get(next).weights()).hasContent("weights of c");
        assertThat(restarted.list()).hasSize(2);
    }

    @Test
    void crashRightAfterPublishingLeavesACompleteVersion() throws Exception {
        killAt(Step.REGISTER_PUBLISHED, "register", staged("a").toString());

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.get("v1").weights()).hasContent("weights of a");
        assertThat(restarted.register(staged("b")).version()).isEqualTo("v2");
    }

    @Test
    void crashDuringDeleteNeverResurrectsTheVersionOrReusesItsNumber() throws Exception {
        healthy().register(staged("a"));
        healthy().register(staged("b"));

        killAt(Step.DELETE_UNPUBLISHED, "delete", "v2");

        LocalModelRegistry restarted = healthy();
        assertThat(restarted.list()).extracting(ModelManifest::version).containsExactly("v1");
        assertThat(restarted.register(staged("c")).version()).isEqualTo("v3");
    }

    @Test
    void failedRegisterCleansUpItsStagingDirectory() throws IOException {
        assertThatThrownBy(() -> failingAt(Step.REGISTER_SEALED).register(staged("a")))
                .isInstanceOf(SimulatedFailure.class);

        try (var entries = Files.list(root())) {
            assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".staging-"));
        }
    }

    @Test
    void crashWhileAddingFilesLeavesTheOldPackageReadableAndTheNextWriterPutsItBack() throws Exception {
        healthy().register(staged("a"));
        healthy().promote("v1", "production");

        killAt(Step.ADD_FILES_SWAPPING, "add-onnx", "v1");

        assertThat(leftovers()).anyMatch(n -> n.startsWith(".replaced-v1-"));
        LocalModelRegistry reopened = healthy();
        ModelPackage pkg = reopened.get("production");
        assertThat(pkg.manifest().version()).isEqualTo("v1");
        assertThat(pkg.files()).doesNotContain("model.onnx");
        assertThat(reopened.list()).extracting(ModelManifest::version).containsExactly("v1");
        assertThat(leftovers()).as("readers write nothing").anyMatch(n -> n.startsWith(".replaced-v1-"));
        // The interrupted operation can simply be run again; its writer puts the old package back first.
        assertThat(reopened.addFiles("v1", java.util.Map.of("model.onnx", new byte[] {1, 2, 3})).files())
                .contains("model.onnx");
        assertThat(leftovers()).isEmpty();
        assertThat(root().resolve("models/v1")).isDirectory();
    }

    @Test
    void leftoversOfKilledWritesAreRemovedByTheNextWriter() throws Exception {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        killAt(Step.REGISTER_COPIED, "register", staged("c").toString());
        assertThat(leftovers()).singleElement().asString().startsWith(".staging-");
        // The delete is a writer too: it removes the dead staging directory before it is killed itself.
        killAt(Step.DELETE_UNPUBLISHED, "delete", "v2");
        assertThat(leftovers()).singleElement().asString().startsWith(".trash-v2-");

        healthy().promote("v1", "production");

        assertThat(leftovers()).isEmpty();
        try (var entries = Files.list(root())) {
            assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".owner"));
        }
        assertThat(healthy().list()).extracting(ModelManifest::version).containsExactly("v1");
    }

    @Test
    void aWriterLeavesTheStagingDirectoryOfAnotherLiveProcessAlone() throws Exception {
        healthy().register(staged("a"));
        Process copying = blockedAt(Step.REGISTER_COPIED, "register", staged("b").toString());
        try {
            List<String> live = leftovers();
            assertThat(live).singleElement().asString().startsWith(".staging-");

            healthy().register(staged("c")); // sweeps: must not take the other process's copy away

            assertThat(leftovers()).isEqualTo(live);
            assertThat(root().resolve(live.get(0)).resolve(TestPackages.WEIGHTS)).hasContent("weights of b");
            kill(copying);
            healthy().promote("v2", "production");
            assertThat(leftovers()).isEmpty();
        } finally {
            copying.destroyForcibly();
        }
    }

    @Test
    void openingAndReadingTheRegistryNeverWaitsForAWriter() throws Exception {
        healthy().register(staged("a"));
        healthy().register(staged("b"));
        healthy().promote("v1", "production");
        // The child holds the registry's write lock, blocked in the middle of a promote.
        Process writer = blockedAt(Step.ALIAS_VERIFIED, "promote", "v2", "production");
        try {
            var reading = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                LocalModelRegistry registry = healthy();
                return registry.get("production").manifest().version() + " " + registry.list().size();
            });
            assertThat(reading.get(20, TimeUnit.SECONDS)).isEqualTo("v1 2");
        } finally {
            kill(writer);
        }
        assertThat(healthy().alias("production")).contains("v1");
    }
}
