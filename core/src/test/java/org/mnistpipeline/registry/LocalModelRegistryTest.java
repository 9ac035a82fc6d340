package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.model.ModelManifest;

class LocalModelRegistryTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-06-01T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private LocalModelRegistry registry() {
        return new LocalModelRegistry(tmp.resolve("registry"), CLOCK, CrashPoints.NONE);
    }

    private Path staged(String name) throws IOException {
        return TestPackages.staged(tmp.resolve("staged-" + name), "weights of " + name);
    }

    private ModelManifest register(ModelRegistry registry, String name) throws IOException {
        return registry.register(staged(name));
    }

    @Test
    void registerAssignsConsecutiveVersionsAndWritesThemIntoTheManifest() throws IOException {
        ModelRegistry registry = registry();

        ModelManifest first = register(registry, "a");
        ModelManifest second = register(registry, "b");

        assertThat(first.version()).isEqualTo("v1");
        assertThat(second.version()).isEqualTo("v2");
        assertThat(registry.get("v2").manifest()).isEqualTo(second);
        assertThat(registry.get("v2").weights()).hasContent("weights of b");
        assertThat(second).isEqualTo(TestPackages.manifest().withVersion("v2"));
    }

    @Test
    void registerLeavesTheStagedDirectoryUntouched() throws IOException {
        Path staged = staged("a");

        registry().register(staged);

        assertThat(staged.resolve("SHA256SUMS")).doesNotExist();
        assertThat(ModelPackage.readStagedManifest(staged).version()).isEmpty();
    }

    @Test
    void registerAcceptsAnAlreadySealedPackage() throws IOException {
        Path staged = staged("a");
        ModelPackage.seal(staged);

        ModelManifest stored = registry().register(staged);

        assertThat(stored.version()).isEqualTo("v1");
    }

    @Test
    void registerRefusesASealedPackageDamagedInTransit() throws IOException {
        Path staged = staged("a");
        ModelPackage.seal(staged);
        Files.writeString(staged.resolve("weights.params"), "changed");
        LocalModelRegistry registry = registry();

        assertThatThrownBy(() -> registry.register(staged))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("weights.params checksum mismatch");
        assertThat(registry.list()).isEmpty();
    }

    @Test
    void registerRefusesAPackageWithoutWeightsWithoutUsingUpAVersionNumber() throws IOException {
        LocalModelRegistry registry = registry();
        Path broken = staged("broken");
        Files.delete(broken.resolve("weights.params"));

        assertThatThrownBy(() -> registry.register(broken))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("weights file weights.params named by manifest.json is missing");
        assertThat(register(registry, "good").version()).isEqualTo("v1");
        assertThat(Files.list(registry.root()).map(p -> p.getFileName().toString()))
                .noneMatch(name -> name.startsWith(".staging-"));
    }

    @Test
    void listShowsEveryVersionInNumericOrder() throws IOException {
        ModelRegistry registry = registry();
        for (int i = 0; i < 11; i++) {
            register(registry, "m" + i);
        }

        assertThat(registry.list()).extracting(ModelManifest::version)
                .containsExactly("v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11");
    }

    @Test
    void emptyRegistryListsNothingAndCreatesNothing() {
        LocalModelRegistry registry = registry();

        assertThat(registry.list()).isEmpty();
        assertThat(registry.aliases()).isEmpty();
        assertThat(registry.history("production")).isEmpty();
        assertThat(registry.root()).doesNotExist();
    }

    @Test
    void promotedAliasResolvesToItsVersion() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");

        registry.promote("v2", "production");

        assertThat(registry.alias("production")).contains("v2");
        assertThat(registry.aliases()).isEqualTo(Map.of("production", "v2"));
        assertThat(registry.get("production").manifest().version()).isEqualTo("v2");
    }

    @Test
    void promoteAcceptsAnotherAliasAsTheSource() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        registry.promote("v1", "staging");

        registry.promote("staging", "production");

        assertThat(registry.aliases()).isEqualTo(Map.of("production", "v1", "staging", "v1"));
    }

    @Test
    void rollbackRestoresThePreviousVersionEachTime() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");
        register(registry, "c");
        registry.promote("v1", "production");
        registry.promote("v2", "production");
        registry.promote("v3", "production");

        assertThat(registry.rollback("production")).isEqualTo("v2");
        assertThat(registry.alias("production")).contains("v2");
        assertThat(registry.rollback("production")).isEqualTo("v1");
        assertThat(registry.get("production").manifest().version()).isEqualTo("v1");
    }

    @Test
    void historyRecordsEveryPromotionAndRollback() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");
        registry.promote("v1", "production");
        registry.promote("v2", "production");
        registry.rollback("production");

        assertThat(registry.history("production")).containsExactly(
                new AliasChange("production", "v1", null, "2025-06-01T12:00:00Z", "promote"),
                new AliasChange("production", "v2", "v1", "2025-06-01T12:00:00Z", "promote"),
                new AliasChange("production", "v1", "v2", "2025-06-01T12:00:00Z", "rollback"));
    }

    @Test
    void promotingTheCurrentVersionAgainChangesNothing() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        registry.promote("v1", "production");

        registry.promote("v1", "production");

        assertThat(registry.history("production")).hasSize(1);
    }

    @Test
    void rollbackWithoutHistoryExplainsWhatToDo() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        registry.promote("v1", "production");

        assertThatThrownBy(() -> registry.rollback("production"))
                .isInstanceOf(RegistryException.class)
                .isNotInstanceOf(RegistryException.NotFound.class)
                .hasMessageContaining("production has no previous version to roll back to")
                .hasMessageContaining("promote a version instead");
        assertThat(registry.alias("production")).contains("v1");
    }

    @Test
    void rollbackOfAnUnknownAliasIsNotFound() {
        ModelRegistry registry = registry();

        assertThatThrownBy(() -> registry.rollback("production"))
                .isInstanceOf(RegistryException.NotFound.class)
                .hasMessageContaining("no alias 'production'");
    }

    @Test
    void deleteRefusesTheProductionVersion() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");
        register(registry, "c");
        registry.promote("v3", "production");

        assertThatThrownBy(() -> registry.delete("v3"))
                .isInstanceOf(RegistryException.class)
                .hasMessage("v3 is the production model; promote another version first");
        assertThat(registry.get("v3").manifest().version()).isEqualTo("v3");
    }

    @Test
    void deleteRemovesAnUnaliasedVersionAndItsNumberIsNeverReused() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");
        registry.promote("v1", "production");

        registry.delete("v2");

        assertThat(registry.list()).extracting(ModelManifest::version).containsExactly("v1");
        assertThatThrownBy(() -> registry.get("v2")).isInstanceOf(RegistryException.NotFound.class);
        assertThat(register(registry, "c").version()).isEqualTo("v3");
    }

    @Test
    void numberOfTheHighestDeletedVersionIsNotReusedEvenByANewInstance() throws IOException {
        register(registry(), "a");
        registry().delete("v1");

        assertThat(register(registry(), "b").version()).isEqualTo("v2");
    }

    @Test
    void deletedVersionIsDroppedFromRollbackHistory() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");
        register(registry, "c");
        registry.promote("v1", "production");
        registry.promote("v2", "production");
        registry.promote("v3", "production");

        registry.delete("v2");

        assertThat(registry.rollback("production")).isEqualTo("v1");
    }

    @Test
    void unknownVersionIsNotFound() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");

        assertThatThrownBy(() -> registry.get("v9"))
                .isInstanceOf(RegistryException.NotFound.class)
                .hasMessageContaining("no model version v9")
                .hasMessageContaining("[v1]");
        assertThatThrownBy(() -> registry.get("production"))
                .isInstanceOf(RegistryException.NotFound.class)
                .hasMessageContaining("no alias or version 'production'");
        assertThatThrownBy(() -> registry.promote("v9", "production"))
                .isInstanceOf(RegistryException.NotFound.class);
        assertThatThrownBy(() -> registry.delete("v9"))
                .isInstanceOf(RegistryException.NotFound.class);
    }

    @Test
    void invalidAliasNamesAreRefused() throws IOException {
        ModelRegistry registry = registry();
        register(registry, "a");

        for (String bad : List.of("v2", "../escape", "Production", "")) {
            assertThatThrownBy(() -> registry.promote("v1", bad))
                    .as(bad)
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("invalid alias");
        }
    }

    @Test
    void getRefusesATamperedVersion() throws IOException {
        LocalModelRegistry registry = registry();
        register(registry, "a");
        Files.writeString(registry.root().resolve("models/v1/weights.params"), "swapped");

        assertThatThrownBy(() -> registry.get("v1"))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("weights.params checksum mismatch");
        assertThatThrownBy(() -> registry.promote("v1", "production"))
                .isInstanceOf(ModelPackageException.class);
        assertThat(registry.alias("production")).isEmpty();
    }

    @Test
    void packageStoredUnderTheWrongVersionIsRefused() throws IOException {
        LocalModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");
        Path models = registry.root().resolve("models");
        deleteTree(models.resolve("v2"));
        copyTree(models.resolve("v1"), models.resolve("v2"));

        assertThatThrownBy(() -> registry.get("v2"))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("its manifest says version 'v1' but it is stored as v2");
    }

    @Test
    void registryFromANewerReleaseIsRefusedUpFront() throws IOException {
        Path root = tmp.resolve("registry");
        Files.createDirectories(root);
        Files.writeString(root.resolve("registry.json"), "{\"formatVersion\": 7, \"lastVersion\": 3}");

        assertThatThrownBy(() -> new LocalModelRegistry(root))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("format version 7");
    }

    @Test
    void leftoversOfCrashedWritesAreIgnoredByReaders() throws IOException {
        LocalModelRegistry registry = registry();
        register(registry, "a");
        registry.promote("v1", "production");
        Path root = registry.root();
        Files.createDirectories(root.resolve(".staging-dead/report"));
        Files.writeString(root.resolve("aliases/.production.json123.tmp"), "{half");
        Files.createDirectories(root.resolve(".trash-v7-dead"));

        assertThat(registry.list()).extracting(ModelManifest::version).containsExactly("v1");
        assertThat(registry.aliases()).isEqualTo(Map.of("production", "v1"));
        assertThat(register(registry, "b").version()).isEqualTo("v2");
        // The writer removed what no live process owns (these have no owner file: a crash of an older release).
        assertThat(root.resolve(".staging-dead")).doesNotExist();
        assertThat(root.resolve(".trash-v7-dead")).doesNotExist();
    }

    @Test
    void aliasWhosePreviousVersionsEscapeTheRegistryIsRefusedBeforeAnythingIsOpened() throws IOException {
        LocalModelRegistry registry = registry();
        register(registry, "a");
        registry.promote("v1", "production");
        // A sealed package outside the registry, which models/../../outside would reach.
        Path outside = tmp.resolve("outside");
        ModelPackage.seal(TestPackages.staged(outside, "not a registry version"));
        Path file = registry.root().resolve("aliases/production.json");
        Files.writeString(file, Files.readString(file).replace("\"previous\" : [ ]",
                "\"previous\" : [ \"../../outside\" ]"));

        assertThatThrownBy(() -> registry.rollback("production")).isInstanceOf(RegistryException.class)
                .hasMessageContaining("lists '../../outside' among its previous versions")
                .hasMessageContaining("move it aside");
        assertThatThrownBy(() -> registry.alias("production")).hasMessageContaining("../../outside");
    }

    @Test
    void theRepairAGarbageAliasFileAdvisesWorks() throws IOException {
        LocalModelRegistry registry = registry();
        register(registry, "a");
        register(registry, "b");
        registry.promote("v1", "production");
        Path file = registry.root().resolve("aliases/production.json");
        Files.writeString(file, "\u0000\u0000garbage after a disk error");

        String advice = org.assertj.core.api.Assertions.catchThrowableOfType(RegistryException.class,
                () -> registry.promote("v2", "production")).getMessage();

        assertThat(advice).contains("is unreadable").contains("mv " + file + " " + file + ".broken")
                .contains("mnist models promote VERSION --alias production");
        Files.move(file, Path.of(file + ".broken")); // exactly what the message says
        registry.promote("v2", "production");
        assertThat(registry.alias("production")).contains("v2");
        assertThat(registry.aliases()).isEqualTo(Map.of("production", "v2"));
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void addFilesResealsTheVersionAndRefusesToReplaceExistingFiles() throws java.io.IOException {
        LocalModelRegistry registry = new LocalModelRegistry(tmp.resolve("reg"));
        registry.register(TestPackages.staged(tmp.resolve("s1")));

        ModelPackage pkg = registry.addFiles("v1", java.util.Map.of("model.onnx", new byte[] {7, 7}));

        assertThat(pkg.files()).contains("model.onnx", "manifest.json");
        assertThat(ModelPackage.open(pkg.dir()).file("model.onnx")).hasBinaryContent(new byte[] {7, 7});
        assertThatThrownBy(() -> registry.addFiles("v1", java.util.Map.of("model.onnx", new byte[] {1})))
                .isInstanceOf(RegistryException.class).hasMessageContaining("already has model.onnx");
        assertThatThrownBy(() -> registry.addFiles("v1", java.util.Map.of("../escape", new byte[] {1})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> registry.addFiles("v9", java.util.Map.of("x", new byte[] {1})))
                .isInstanceOf(RegistryException.NotFound.class);
    }
}
