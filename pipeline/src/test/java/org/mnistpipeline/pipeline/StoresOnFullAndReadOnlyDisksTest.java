package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.Architectures;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.pipeline.ingest.BatchManifest;
import org.mnistpipeline.pipeline.ingest.DataStore;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.RegistryException;

/**
 * The registry and the data store on a disk that fills up (a 4 MB tmpfs) and on a read-only mount
 * (a bind mount remounted ro: as root, permissions alone would not stop a write). Each failing
 * command says which of the two happened; nothing stored before is lost or damaged, and once
 * space is freed the same command succeeds.
 */
class StoresOnFullAndReadOnlyDisksTest {
    @TempDir
    Path tmp;

    private static LabeledImages mnistTest;

    private static synchronized LabeledImages digits() {
        if (mnistTest == null) {
            mnistTest = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir());
        }
        return mnistTest;
    }

    /** A labelled IDX batch of MNIST test digits {@code from..from+count}. */
    private Path batch(String name, int from, int count) {
        Path dir = tmp.resolve(name);
        Idx.write(dir, "batch", digits().select(java.util.stream.IntStream.range(from, from + count).toArray()));
        return dir;
    }

    /** An unsealed model package with {@code weightsBytes} of weights, as training stages one. */
    private Path staged(String name, int weightsBytes) throws IOException {
        Path dir = tmp.resolve("staged-" + name);
        Files.createDirectories(dir);
        DataFingerprint fp = DataFingerprint.of(Map.of("train-images", "a".repeat(64)));
        Json.writeAtomically(dir.resolve("manifest.json"), new ModelManifest(ModelManifest.FORMAT_VERSION, "",
                "2026-12-03T00:00:00Z", Architectures.small(new int[] {1, 28, 28}, 10, 1f),
                Hyperparameters.fastDefaults(), new ModelManifest.DataInfo("test", fp, 100, 10, 10, 10),
                Map.of("testAccuracy", 0.98), null, Map.of(), "weights.params"));
        byte[] weights = new byte[weightsBytes];
        new java.util.Random(name.hashCode()).nextBytes(weights);
        Files.write(dir.resolve("weights.params"), weights);
        return dir;
    }

    private static List<String> hidden(Path root) throws IOException {
        try (Stream<Path> list = Files.list(root)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".staging-")
                    || n.startsWith(".trash-") || n.startsWith(".replaced-")).toList();
        }
    }

    @Test
    void registryOnAFullDiskRefusesClearlyAndKeepsEveryVersionAndItsAlias() throws Exception {
        try (Mounts disk = Mounts.tmpfs(tmp.resolve("disk"), "4m")) {
            LocalModelRegistry registry = new LocalModelRegistry(tmp.resolve("disk/registry"));
            registry.register(staged("a", 300_000));
            registry.register(staged("b", 300_000));
            registry.promote("v1", "production");
            Path filler = disk.fill();

            assertThatThrownBy(() -> registry.register(staged("c", 300_000))).isInstanceOf(RegistryException.class)
                    .hasMessageContaining("no space left on device").hasMessageContaining("nothing was changed");
            assertThatThrownBy(() -> registry.promote("v2", "production")).isInstanceOf(RegistryException.class)
                    .hasMessageContaining("no space left on device");

            assertThat(registry.alias("production")).contains("v1");
            assertThat(registry.history("production")).hasSize(1);
            assertThat(registry.get("v1").weights()).hasSize(300_000);
            assertThat(registry.get("v2").weights()).hasSize(300_000);
            assertThat(registry.list()).hasSize(2);

            Files.delete(filler);
            registry.promote("v2", "production");
            String next = registry.register(staged("c", 300_000)).version();
            assertThat(registry.get(next).weights()).hasSize(300_000);
            assertThat(registry.rollback("production")).isEqualTo("v1");
            assertThat(hidden(registry.root())).isEmpty();
        }
    }

    @Test
    void dataStoreOnAFullDiskRefusesClearlyAndKeepsEveryBatch() throws Exception {
        try (Mounts disk = Mounts.tmpfs(tmp.resolve("disk"), "4m")) {
            DataStore store = new DataStore(tmp.resolve("disk/datastore"));
            BatchManifest first = store.ingest(batch("one", 0, 500)).batch();
            Path filler = disk.fill();

            assertThatThrownBy(() -> store.ingest(batch("two", 500, 500))).isInstanceOf(DataException.class)
                    .hasMessageContaining("no space left on device");

            assertThat(store.batches()).containsExactly(first);
            assertThat(store.loadAll().size()).isEqualTo(500);
            assertThat(store.repair()).isEmpty();

            Files.delete(filler);
            assertThat(store.ingest(batch("two", 500, 500)).batch().accepted()).isEqualTo(500);
            assertThat(store.loadAll().size()).isEqualTo(1000);
            assertThat(hidden(store.root())).isEmpty();
        }
    }

    @Test
    void aReadOnlyRegistryAndDataStoreServeEveryReadAndRefuseWritesByName() throws Exception {
        Path home = tmp.resolve("home");
        LocalModelRegistry writable = new LocalModelRegistry(home.resolve("registry"));
        writable.register(staged("a", 1000));
        writable.register(staged("b", 1000));
        writable.promote("v1", "production");
        writable.promote("v2", "production");
        new DataStore(home.resolve("datastore")).ingest(batch("one", 0, 50));

        try (Mounts ignored = Mounts.readOnly(home, tmp.resolve("ro"))) {
            LocalModelRegistry registry = new LocalModelRegistry(tmp.resolve("ro/registry"));
            assertThat(registry.get("production").manifest().version()).isEqualTo("v2");
            assertThat(registry.list()).hasSize(2);
            assertThat(registry.aliases()).isEqualTo(Map.of("production", "v2"));
            assertThat(registry.history("production")).hasSize(2);
            assertThat(registry.contentToken("v2")).isEqualTo(writable.contentToken("v2"));
            for (Runnable write : List.<Runnable>of(() -> registry.rollback("production"),
                    () -> registry.promote("v1", "staging"), () -> registry.delete("v1"))) {
                assertThatThrownBy(write::run).isInstanceOf(RegistryException.class)
                        .hasMessageContaining("is on a read-only file system");
            }
            assertThatThrownBy(() -> registry.register(staged("c", 1000)))
                    .hasMessageContaining("is on a read-only file system");

            DataStore store = new DataStore(tmp.resolve("ro/datastore"));
            assertThat(store.loadAll().size()).isEqualTo(50);
            assertThatThrownBy(() -> store.ingest(batch("two", 50, 50))).isInstanceOf(DataException.class)
                    .hasMessageContaining("is on a read-only file system");
        }
        assertThat(writable.alias("production")).contains("v2");
        assertThat(writable.rollback("production")).isEqualTo("v1");
    }
}
