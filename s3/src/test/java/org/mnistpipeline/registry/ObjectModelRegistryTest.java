package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.ScriptedStorage;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * The registry on S3 (moto's server), with a real trained package (the small CNN fixture): claims,
 * aliases switched by compare-and-set under deterministic interleavings, verification on every
 * read, and what a read-only role can do. "Another machine" is a second registry object with its
 * own scratch directory.
 */
class ObjectModelRegistryTest {
    private static MotoBucket s3;

    @TempDir
    Path tmp;

    private ObjectPath root;

    @BeforeAll
    static void start() throws Exception {
        s3 = MotoBucket.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void freshBucket() throws Exception {
        root = s3.freshHome().resolve("registry");
    }

    /** A registry as one machine sees it: its own scratch space, the shared prefix. */
    private ObjectModelRegistry machine(String name, ObjectStorage storage) {
        return new ObjectModelRegistry(storage, root, tmp.resolve("scratch-" + name));
    }

    private ObjectModelRegistry machine(String name) {
        return machine(name, s3.storage);
    }

    /** The fixture package staged for registration, with a note saying who staged it. */
    private Path staged(String note) throws Exception {
        Path dir = tmp.resolve("staged-" + note);
        FileTrees.copy(fixture(), dir);
        Files.writeString(dir.resolve("notes.txt"), note);
        return dir;
    }

    private static Path fixture() throws URISyntaxException {
        return Path.of(ObjectModelRegistryTest.class.getResource("/fixtures/small-v1").toURI());
    }

    private static String note(ModelPackage pkg) throws Exception {
        return Files.readString(pkg.file("notes.txt"));
    }

    @Test
    void registeredVersionsReadBackVerifiedOnAnotherMachine() throws Exception {
        ObjectModelRegistry a = machine("a");
        assertThat(a.register(staged("first")).version()).isEqualTo("v1");
        assertThat(a.register(staged("second")).version()).isEqualTo("v2");

        ObjectModelRegistry b = machine("b");
        assertThat(b.list()).extracting(ModelManifest::version).containsExactly("v1", "v2");
        ModelPackage v2 = b.get("v2");
        assertThat(v2.manifest().version()).isEqualTo("v2");
        assertThat(note(v2)).isEqualTo("second");
        assertThat(v2.dir()).startsWith(tmp.resolve("scratch-b"));
        // The package as stored is what the server loads: its ONNX graph, checked against SHA256SUMS.
        assertThat(new LocalModelLoader(v2.dir()).load().version()).isEqualTo("v2");
        assertThat(s3.storage.list(root.resolve("models/v2"))).contains(
                root.resolve("models/v2/SHA256SUMS").key(), root.resolve("models/v2/manifest.json").key(),
                root.resolve("models/v2/model.onnx").key(), root.resolve("models/v2/weights.safetensors").key());
    }

    @Test
    void promoteAndRollbackKeepTheRollbackStackAndHistoryAsLocally() throws Exception {
        ObjectModelRegistry registry = machine("a");
        registry.register(staged("one"));
        registry.register(staged("two"));
        registry.promote("v1", "production");
        registry.promote("v2", "production");
        assertThat(registry.alias("production")).contains("v2");
        assertThat(registry.rollback("production")).isEqualTo("v1");
        assertThat(machine("b").history("production")).extracting(AliasChange::version, AliasChange::previous,
                AliasChange::reason).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("v1", null, "promote"),
                        org.assertj.core.groups.Tuple.tuple("v2", "v1", "promote"),
                        org.assertj.core.groups.Tuple.tuple("v1", "v2", "rollback"));
        assertThatThrownBy(() -> registry.rollback("production")).isInstanceOf(RegistryException.class)
                .hasMessageContaining("no previous version");
        assertThat(machine("c").aliases()).isEqualTo(Map.of("production", "v1"));
    }

    @Test
    void aPromotionWithAStaleAliasGets412AndIsRecomputedFromTheNewState() throws Exception {
        ObjectModelRegistry other = machine("other");
        for (String note : List.of("one", "two", "three")) {
            other.register(staged(note));
        }
        other.promote("v1", "production");
        ScriptedStorage storage = new ScriptedStorage(s3.storage);
        ObjectModelRegistry mine = machine("mine", storage);
        // Between my read of the alias (v1) and my conditional write, the other machine promotes v2.
        storage.beforeConditionalWrite(root.resolve("aliases/production.json"),
                () -> other.promote("v2", "production"));

        mine.promote("v3", "production");

        assertThat(storage.conditionFailures()).isEqualTo(1); // moto refused the write made from the stale read
        assertThat(other.history("production")).extracting(AliasChange::version, AliasChange::previous)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("v1", null),
                        org.assertj.core.groups.Tuple.tuple("v2", "v1"),
                        org.assertj.core.groups.Tuple.tuple("v3", "v2"));
        // Nothing lost: rolling back walks the promotions of both machines in order.
        assertThat(other.rollback("production")).isEqualTo("v2");
        assertThat(other.rollback("production")).isEqualTo("v1");
    }

    @Test
    void aRollbackRacingAPromotionIsRetriedAndBothEndUpInTheHistory() throws Exception {
        ObjectModelRegistry other = machine("other");
        for (String note : List.of("one", "two", "three")) {
            other.register(staged(note));
        }
        other.promote("v1", "production");
        other.promote("v2", "production");
        ScriptedStorage storage = new ScriptedStorage(s3.storage);
        ObjectModelRegistry mine = machine("mine", storage);
        storage.beforeConditionalWrite(root.resolve("aliases/production.json"),
                () -> other.promote("v3", "production"));

        // Read v2 (previous [v1]); the promotion of v3 lands first; retried, the rollback undoes v3.
        assertThat(mine.rollback("production")).isEqualTo("v2");

        assertThat(storage.conditionFailures()).isEqualTo(1);
        assertThat(other.history("production")).extracting(AliasChange::reason, AliasChange::version)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("promote", "v1"),
                        org.assertj.core.groups.Tuple.tuple("promote", "v2"),
                        org.assertj.core.groups.Tuple.tuple("promote", "v3"),
                        org.assertj.core.groups.Tuple.tuple("rollback", "v2"));
        assertThat(other.rollback("production")).isEqualTo("v1");
    }

    @Test
    void twoWritersRacingForAVersionNumberGetDifferentNumbers() throws Exception {
        ObjectModelRegistry other = machine("other");
        ScriptedStorage storage = new ScriptedStorage(s3.storage);
        ObjectModelRegistry mine = machine("mine", storage);
        Path theirs = staged("theirs");
        // Both pick v1; the other machine's claim (and whole registration) lands first.
        storage.beforeConditionalWrite(root.resolve("models/v1/manifest.json"), () -> other.register(theirs));

        ModelManifest registered = mine.register(staged("mine"));

        assertThat(registered.version()).isEqualTo("v2");
        assertThat(storage.conditionFailures()).isEqualTo(1);
        ObjectModelRegistry reader = machine("reader");
        assertThat(note(reader.get("v1"))).isEqualTo("theirs");
        assertThat(note(reader.get("v2"))).isEqualTo("mine");
    }

    @Test
    void numbersAreNeverReusedAfterACrashedRegistrationOrADelete() throws Exception {
        ObjectModelRegistry registry = machine("a");
        // A registration that died after its claim: a manifest, no SHA256SUMS.
        s3.storage.putIfAbsent(root.resolve("models/v1/manifest.json"), "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(registry.register(staged("after crash")).version()).isEqualTo("v2");
        assertThat(registry.list()).extracting(ModelManifest::version).containsExactly("v2");
        assertThatThrownBy(() -> registry.get("v1")).isInstanceOf(RegistryException.NotFound.class);

        registry.delete("v2");
        assertThat(registry.list()).isEmpty();
        assertThatThrownBy(() -> registry.get("v2")).isInstanceOf(RegistryException.NotFound.class);
        assertThat(s3.storage.get(root.resolve("models/v2/manifest.json"))).isPresent(); // the claim stays
        assertThat(registry.register(staged("next")).version()).isEqualTo("v3");
    }

    @Test
    void deleteIsRefusedWhileAnAliasHoldsTheVersionAndPrunesRollbackStacks() throws Exception {
        ObjectModelRegistry registry = machine("a");
        registry.register(staged("one"));
        registry.register(staged("two"));
        registry.promote("v1", "production");
        registry.promote("v2", "production");
        assertThatThrownBy(() -> registry.delete("v2")).isInstanceOf(RegistryException.class)
                .hasMessageContaining("production");
        registry.delete("v1");
        assertThatThrownBy(() -> registry.rollback("production")).hasMessageContaining("no previous version");
        assertThat(registry.alias("production")).contains("v2");
    }

    @Test
    void aTamperedObjectIsRefusedWithTheFileAndWhereItIs() throws Exception {
        machine("a").register(staged("one"));
        ObjectPath weights = root.resolve("models/v1/weights.safetensors");
        byte[] original = s3.storage.get(weights).orElseThrow().bytes();
        byte[] tampered = original.clone();
        tampered[tampered.length - 1] ^= 1;
        s3.storage.put(weights, tampered);

        ObjectModelRegistry fresh = machine("fresh");
        assertThatThrownBy(() -> fresh.get("v1")).isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("weights.safetensors checksum mismatch")
                .hasMessageContaining(root.resolve("models/v1").toString());
        assertThatThrownBy(() -> fresh.promote("v1", "production")).isInstanceOf(ModelPackageException.class);
        assertThat(fresh.alias("production")).isEmpty();
        // Nothing of the refused download is left for a later read to trust.
        try (var left = Files.walk(tmp.resolve("scratch-fresh"))) {
            assertThat(left.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void aDamagedCopyInTheLocalCacheIsDownloadedAgain() throws Exception {
        ObjectModelRegistry registry = machine("a");
        registry.register(staged("one"));
        ModelPackage first = registry.get("v1");
        String digest = Sha256.of(first.weights());
        Files.writeString(first.weights(), "overwritten on local disk");

        ModelPackage again = registry.get("v1");

        assertThat(Sha256.of(again.weights())).isEqualTo(digest);
    }

    @Test
    void openingListingAndReadingNeedReadAccessOnly() throws Exception {
        ObjectModelRegistry writer = machine("writer");
        writer.register(staged("one"));
        writer.promote("v1", "production");
        ScriptedStorage readOnly = new ScriptedStorage(s3.storage).readOnly();

        ObjectModelRegistry reader = machine("reader", readOnly);
        assertThat(reader.list()).hasSize(1);
        assertThat(reader.aliases()).containsEntry("production", "v1");
        assertThat(reader.history("production")).hasSize(1);
        assertThat(reader.get("production").manifest().version()).isEqualTo("v1");

        assertThat(readOnly.calls()).allMatch(call -> call.startsWith("get") || call.startsWith("list")
                || call.startsWith("download"));
        assertThatThrownBy(() -> reader.promote("v1", "staging")).isInstanceOf(AssertionError.class);
    }

    @Test
    void followingAnUnchangedAliasTransfersNothing() throws Exception {
        ObjectModelRegistry writer = machine("writer");
        writer.register(staged("one"));
        writer.register(staged("two"));
        writer.promote("v1", "production");
        ScriptedStorage storage = new ScriptedStorage(s3.storage);
        ObjectModelRegistry server = machine("server", storage);

        assertThat(server.alias("production")).contains("v1");
        assertThat(server.alias("production")).contains("v1");
        writer.promote("v2", "production");
        assertThat(server.alias("production")).contains("v2");

        String key = root.resolve("aliases/production.json").key();
        assertThat(storage.calls()).containsExactly("get " + root.resolve("registry.json").key(), // on open
                "getIfChanged " + key + " -> CHANGED",
                "getIfChanged " + key + " -> UNCHANGED", "getIfChanged " + key + " -> CHANGED");
    }

    @Test
    void addedFilesAreSealedInAndNothingIsReplaced() throws Exception {
        ObjectModelRegistry registry = machine("a");
        registry.register(staged("one"));
        ModelPackage updated = registry.addFiles("v1", Map.of("extra/notes.md", "# later".getBytes(StandardCharsets.UTF_8)));
        assertThat(updated.files()).contains("extra/notes.md");
        assertThat(machine("b").get("v1").files()).contains("extra/notes.md");
        assertThatThrownBy(() -> registry.addFiles("v1", Map.of("notes.txt", new byte[1])))
                .isInstanceOf(RegistryException.class).hasMessageContaining("immutable");
        assertThat(note(machine("c").get("v1"))).isEqualTo("one");
    }

    @Test
    void aRegistryOfANewerFormatIsRefusedOnOpen() {
        s3.storage.put(root.resolve("registry.json"), "{\"formatVersion\": 2, \"lastVersion\": 9}"
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> machine("a")).isInstanceOf(RegistryException.class)
                .hasMessageContaining("format version 2");
    }
}
