package org.mnistpipeline.pipeline.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * The data store under an S3 prefix (moto's server) on real MNIST test images: batches published by
 * their manifest, duplicates refused against what is stored in S3 (read by another machine's
 * mirror), a published batch verified on load, an upload that died redone. "Another machine" is
 * another store object with its own scratch directory.
 */
class ObjectDataStoreTest {
    private static MotoBucket motoBucket;
    private static org.mnistpipeline.testsupport.MotoServer moto;
    private static S3Objects s3;

    @TempDir
    Path tmp;

    private ObjectPath root;

    @BeforeAll
    static void start() throws Exception {
        motoBucket = MotoBucket.start();
        moto = motoBucket.moto;
        s3 = motoBucket.storage;
    }

    @AfterAll
    static void stop() throws Exception {
        if (motoBucket != null) {
            motoBucket.close();
        }
    }

    @BeforeEach
    void freshBucket() throws Exception {
        root = new ObjectPath(moto.freshBucket(), "home/datastore");
    }

    private ObjectDataStore machine(String name, ObjectStorage storage) {
        return new ObjectDataStore(storage, root, tmp.resolve("scratch-" + name));
    }

    private ObjectDataStore machine(String name) {
        return machine(name, s3);
    }

    /** MNIST test images {@code from .. from+count} as an IDX batch directory, as `mnist data sample` writes one. */
    private Path batch(String name, int from, int count) {
        LabeledImages images = MnistDigits.test().select(IntStream.range(from, from + count).toArray());
        Path dir = tmp.resolve("sources").resolve(name);
        Idx.write(dir, "batch", images);
        return dir;
    }

    private List<String> keys() {
        return s3.list(root);
    }

    @Test
    void aBatchIsPublishedByItsManifestAndReadBackVerifiedElsewhere() {
        IngestResult result = machine("a").ingest(batch("first", 0, 300));

        String id = result.batch().id();
        assertThat(result.alreadyIngested()).isFalse();
        assertThat(result.batch().sequence()).isEqualTo(1);
        assertThat(keys()).contains(root.resolve("batches/" + id + "/manifest.json").key(),
                root.resolve("batches/" + id + "/images-idx3-ubyte").key(),
                root.resolve("batches/" + id + "/labels-idx1-ubyte").key());
        ObjectDataStore other = machine("b");
        assertThat(other.batches()).containsExactly(result.batch());
        LabeledImages loaded = other.load(id);
        assertThat(loaded.size()).isEqualTo(result.batch().accepted());
        assertThat(other.location()).isEqualTo(root.toString());
    }

    @Test
    void ingestingTheSameContentAgainWritesNothing() {
        Path source = batch("first", 0, 300);
        IngestResult first = machine("a").ingest(source);
        List<String> before = keys().stream().filter(k -> !k.endsWith("/lock")).toList();

        IngestResult again = machine("b").ingest(source);

        assertThat(again.alreadyIngested()).isTrue();
        assertThat(again.batch()).isEqualTo(first.batch());
        assertThat(keys().stream().filter(k -> !k.endsWith("/lock")).toList()).isEqualTo(before);
    }

    @Test
    void recordsAlreadyStoredInS3AreRefusedAsDuplicatesOnAnotherMachine() {
        machine("a").ingest(batch("first", 0, 300));

        // Half of it again plus 150 new images, from a machine that has never seen the store.
        IngestResult second = machine("b").ingest(batch("overlap", 150, 300));

        assertThat(second.batch().sequence()).isEqualTo(2);
        assertThat(second.batch().duplicates()).isGreaterThanOrEqualTo(150);
        assertThat(second.batch().accepted()).isLessThanOrEqualTo(150);
        assertThat(keys()).contains(root.resolve("quarantine/" + second.batch().id() + "/quarantine.jsonl").key());
        assertThat(machine("c").batches()).extracting(BatchManifest::sequence).containsExactly(1, 2);
    }

    @Test
    void aSourceWithNothingNewIsRefusedAndItsQuarantineIsInS3() {
        machine("a").ingest(batch("first", 0, 200));
        // Another batch (half of the first), every record of which is already stored.
        assertThatThrownBy(() -> machine("b").ingest(batch("half of it", 0, 100)))
                .isInstanceOf(IngestException.class)
                .hasMessageContaining("nothing to store")
                .hasMessageContaining(root.resolve("quarantine").toString());
        assertThat(keys()).anyMatch(k -> k.startsWith(root.resolve("quarantine").key() + "/rejected-"));
    }

    @Test
    void aTamperedObjectIsRefusedOnLoad() {
        String id = machine("a").ingest(batch("first", 0, 200)).batch().id();
        ObjectPath labels = root.resolve("batches/" + id + "/labels-idx1-ubyte");
        byte[] bytes = s3.get(labels).orElseThrow().bytes();
        bytes[bytes.length - 1] = (byte) ((bytes[bytes.length - 1] + 1) % 10);
        s3.put(labels, bytes);

        assertThatThrownBy(() -> machine("fresh").load(id)).isInstanceOf(DataException.class)
                .hasMessageContaining("damaged").hasMessageContaining("labels-idx1-ubyte");
    }

    @Test
    void anIngestWhoseUploadDiedIsInvisibleAndDoneAgainNextTime() {
        Path source = batch("first", 0, 200);
        ObjectStorage dying = new org.mnistpipeline.pipeline.DyingStorage(s3, "manifest.json");
        assertThatThrownBy(() -> machine("a", dying).ingest(source)).isInstanceOf(IllegalStateException.class);
        assertThat(machine("b").batches()).isEmpty(); // files uploaded, no manifest: not a batch

        IngestResult retried = machine("a").ingest(source); // the same machine, its mirror holding the unpublished copy

        assertThat(retried.alreadyIngested()).isFalse();
        assertThat(machine("b").batches()).containsExactly(retried.batch());
        assertThat(machine("b").load(retried.batch().id()).size()).isEqualTo(retried.batch().accepted());
    }

    @Test
    void theMirrorIsACacheItsLossCostsADownloadOnly() throws Exception {
        ObjectDataStore a = machine("a");
        String id = a.ingest(batch("first", 0, 200)).batch().id();
        org.mnistpipeline.io.FileTrees.delete(tmp.resolve("scratch-a"));
        assertThat(a.load(id).size()).isEqualTo(a.batches().getFirst().accepted());
        assertThat(Files.isDirectory(tmp.resolve("scratch-a/mirror/batches").resolve(id))).isTrue();
    }
}
