package org.mnistpipeline.pipeline.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.pipeline.ChildJvm;
import org.mnistpipeline.pipeline.ingest.Rejection.Kind;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data store survives what broke it before: odd file names, a damaged record index, IDX files
 * whose headers promise more than memory holds, a decoder running out of memory on one picture,
 * rows reached through symbolic links, huge refused files, and a process killed mid-ingest.
 * Memory and crash cases run in a child JVM: a small heap and SIGKILL are real there.
 */
class DataStoreHealingTest {
    @TempDir
    Path tmp;

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    /** MNIST test digits {@code from..from+count} as PNG files in label folders. */
    private Path folders(String name, int from, int count) throws IOException {
        Path src = tmp.resolve(name);
        for (int i = from; i < from + count; i++) {
            write(src.resolve(MnistDigits.label(i) + "/d" + i + ".png"), MnistDigits.png(i, 56));
        }
        return src;
    }

    /** MNIST test digits {@code from..from+count} as an IDX pair named {@code prefix}-… in {@code dir}. */
    private static void idxPair(Path dir, String prefix, int from, int count) throws IOException {
        byte[] pixels = new byte[count * 784];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            System.arraycopy(MnistDigits.pixels(from + i), 0, pixels, i * 784, 784);
            labels[i] = (byte) MnistDigits.label(from + i);
        }
        write(dir.resolve(prefix + "-images-idx3-ubyte"), Idx.encode(pixels, count, 28, 28));
        write(dir.resolve(prefix + "-labels-idx1-ubyte"), Idx.encode(labels, count));
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        }
        return bytes.toByteArray();
    }

    /**
     * A real gzip bomb: {@code header} then {@code zeros} zero bytes, as concatenated gzip members
     * of 1 MiB each (GZIPInputStream reads them as one stream), so it costs milliseconds to build.
     */
    private static void gzipBomb(Path file, byte[] header, long zeros) throws IOException {
        int chunk = 1 << 20;
        byte[] member = gzip(new byte[chunk]);
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(gzip(header));
            for (long i = 0; i < zeros / chunk; i++) {
                out.write(member);
            }
            out.write(gzip(new byte[(int) (zeros % chunk)]));
        }
    }

    private static byte[] idxHeader(int... dims) {
        ByteBuffer header = ByteBuffer.allocate(4 + 4 * dims.length).put(new byte[] {0, 0, 8, (byte) dims.length});
        for (int d : dims) {
            header.putInt(d);
        }
        return header.array();
    }

    private static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void fileNamesWithCarriageReturnsTabsAndNewlinesAreStoredAndTheStoreKeepsWorking() throws IOException {
        Path src = tmp.resolve("odd");
        int[] digits = {0, 1, 2};
        String[] names = {"a\rb.png", "tab\there.png", "new\nline %41.png"};
        for (int i = 0; i < digits.length; i++) {
            write(src.resolve(MnistDigits.label(digits[i]) + "/" + names[i]), MnistDigits.png(digits[i], 56));
        }
        DataStore store = new DataStore(tmp.resolve("store"));
        BatchManifest first = store.ingest(src).batch();
        assertThat(first.accepted()).isEqualTo(3);

        // Every later ingest reads the stored records: before, the CR split a row and each failed.
        Path copy = tmp.resolve("copy");
        write(copy.resolve(MnistDigits.label(0) + "/again.png"), MnistDigits.png(0, 56));
        write(copy.resolve(MnistDigits.label(5) + "/d5.png"), MnistDigits.png(5, 56));
        IngestResult second = store.ingest(copy);
        assertThat(second.batch().accepted()).isEqualTo(1);
        assertThat(second.rejected()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(Kind.DUPLICATE);
            assertThat(r.reason()).contains(MnistDigits.label(0) + "/a\rb.png in batch " + first.id());
        });
        assertThat(store.loadAll().size()).isEqualTo(4);
        String records = Files.readString(store.root().resolve("batches").resolve(first.id())
                .resolve(DataStore.RECORDS));
        assertThat(records.lines()).hasSize(3);
        assertThat(records).contains("a%0Db.png", "tab%09here.png", "new%0Aline %2541.png");
    }

    /** Rewrites one stored file of a batch and its manifest's digests, as an older release could have written it. */
    private static void rewriteStored(Path batchDir, String file, byte[] content) throws IOException {
        Path path = batchDir.resolve(file);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
        Files.write(path, content);
        Path manifestFile = batchDir.resolve(DataStore.MANIFEST);
        BatchManifest m = Json.read(manifestFile, BatchManifest.class);
        Map<String, String> digests = new TreeMap<>(m.fingerprint().files());
        digests.put(file, Sha256.of(content));
        DataFingerprint fp = DataFingerprint.of(digests);
        Files.setPosixFilePermissions(manifestFile, PosixFilePermissions.fromString("rw-r--r--"));
        Json.writeAtomically(manifestFile, new BatchManifest(m.formatVersion(), m.id(), m.sequence(), m.source(),
                m.ingestedAt(), m.format(), m.accepted(), m.quarantined(), m.classCounts(), m.rejectedByKind(),
                fp.sha256(), fp));
    }

    @Test
    void aBatchWrittenWithARawCarriageReturnInANameStillReads() throws IOException {
        DataStore store = new DataStore(tmp.resolve("store"));
        BatchManifest first = store.ingest(folders("one", 0, 3)).batch();
        Path dir = store.root().resolve("batches").resolve(first.id());
        // What the previous release wrote for a name with a CR: only tabs and newlines were replaced.
        String old = Files.readString(dir.resolve(DataStore.RECORDS)).replaceFirst("/d0\\.png", "/d\r0.png");
        rewriteStored(dir, DataStore.RECORDS, old.getBytes(StandardCharsets.UTF_8));

        IngestResult second = store.ingest(folders("two", 3, 3));

        assertThat(second.batch().accepted()).isEqualTo(3);
        assertThat(store.batches()).hasSize(2);
    }

    @Test
    void aDamagedRecordIndexIsAClearErrorAndRepairSetsTheBatchAsideSoItsSourceCanBeIngestedAgain()
            throws IOException {
        DataStore store = new DataStore(tmp.resolve("store"));
        Path firstSource = folders("one", 0, 4);
        BatchManifest first = store.ingest(firstSource).batch();
        BatchManifest second = store.ingest(folders("two", 4, 4)).batch();
        Path dir = store.root().resolve("batches").resolve(first.id());
        rewriteStored(dir, DataStore.RECORDS, "garbage\tno label\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> store.ingest(folders("three", 8, 4))).isInstanceOf(DataException.class)
                .hasMessageContaining("batch " + first.id())
                .hasMessageContaining("records.tsv cannot be read")
                .hasMessageContaining("run `mnist data repair`")
                .hasMessageContaining(firstSource.toString());

        List<DataStore.SetAside> moved = store.repair();

        assertThat(moved).singleElement().satisfies(s -> {
            assertThat(s.id()).isEqualTo(first.id());
            assertThat(s.source()).isEqualTo(firstSource.toString());
            assertThat(s.problem()).contains("records.tsv cannot be read");
            assertThat(s.movedTo()).isDirectory().startsWith(store.root().resolve(DataStore.DAMAGED));
        });
        assertThat(store.batches()).extracting(BatchManifest::id).containsExactly(second.id());
        assertThat(store.ingest(folders("three", 8, 4)).batch().accepted()).isEqualTo(4);
        IngestResult again = store.ingest(firstSource);
        assertThat(again.alreadyIngested()).isFalse();
        assertThat(again.batch().accepted()).isEqualTo(4);
        assertThat(store.loadAll().size()).isEqualTo(12);
        assertThat(store.repair()).isEmpty();
    }

    @Test
    void aTamperedImageFileIsFoundByRepairToo() throws IOException {
        DataStore store = new DataStore(tmp.resolve("store"));
        BatchManifest first = store.ingest(folders("one", 0, 3)).batch();
        Path images = store.root().resolve("batches").resolve(first.id()).resolve(DataStore.IMAGES);
        Files.setPosixFilePermissions(images, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] bytes = Files.readAllBytes(images);
        bytes[100] ^= 1;
        Files.write(images, bytes);

        assertThatThrownBy(store::loadAll).hasMessageContaining("run `mnist data repair`");
        assertThat(store.repair()).extracting(DataStore.SetAside::id).containsExactly(first.id());
        assertThat(store.loadAll().size()).isZero();
    }

    @Test
    void aRowReachedThroughASymlinkedDirectoryIsRefusedWithAReason() throws IOException {
        Path outside = tmp.resolve("outside");
        write(outside.resolve("x.png"), MnistDigits.png(0, 56));
        Path src = tmp.resolve("csv");
        write(src.resolve("ok.png"), MnistDigits.png(1, 56));
        Files.createSymbolicLink(src.resolve("linked"), outside);
        write(src.resolve("labels.csv"), ("file,label\nok.png," + MnistDigits.label(1) + "\nlinked/x.png,"
                + MnistDigits.label(0) + "\n").getBytes(StandardCharsets.UTF_8));

        IngestResult result = new DataStore(tmp.resolve("store")).ingest(src);

        assertThat(result.batch().accepted()).isEqualTo(1);
        assertThat(result.rejected()).extracting(Rejection::record).containsExactlyInAnyOrder("labels.csv:3", "linked");
        assertThat(result.rejected()).filteredOn(r -> r.record().equals("labels.csv:3")).singleElement()
                .satisfies(r -> {
                    assertThat(r.kind()).isEqualTo(Kind.UNEXPECTED_FILE);
                    assertThat(r.reason()).contains("reached through the symbolic link linked");
                });
    }

    @Test
    void aHugeRefusedFileLeavesOnlyItsFirstMebibyteAndItsHashInTheQuarantine() throws IOException {
        Path src = folders("big", 0, 2);
        Path huge = src.resolve("3/huge.png");
        Files.createDirectories(huge.getParent());
        try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
            file.write(MnistDigits.png(3, 56)); // a real PNG start, then 70 MB of zeros (sparse)
            file.setLength(70L * 1000 * 1000);
        }
        DataStore store = new DataStore(tmp.resolve("store"));

        IngestResult result = store.ingest(src);

        assertThat(result.rejected()).singleElement().extracting(Rejection::kind).isEqualTo(Kind.TOO_LARGE);
        Path quarantine = store.root().resolve("quarantine").resolve(result.batch().id());
        String kept = entries(quarantine).stream().filter(n -> n.contains("huge")).findFirst().orElseThrow();
        assertThat(kept).endsWith(".head");
        assertThat(quarantine.resolve(kept)).hasSize(BatchPublisher.QUARANTINE_KEEP_BYTES);
        @SuppressWarnings("unchecked")
        Map<String, Object> line = Json.parse(Files.readString(quarantine.resolve(DataStore.QUARANTINE)).strip(),
                Map.class);
        assertThat(line).containsEntry("sha256", Sha256.of(huge))
                .containsEntry("bytes", 70_000_000)
                .containsEntry("keptBytes", (int) BatchPublisher.QUARANTINE_KEEP_BYTES);
        byte[] head = Files.readAllBytes(quarantine.resolve(kept));
        try (var in = Files.newInputStream(huge)) {
            assertThat(head).isEqualTo(in.readNBytes(head.length));
        }
    }

    @Test
    void aGzippedIdxFileClaimingMillionsOfImagesIsRefusedWithoutRunningOutOfMemory() throws Exception {
        Path src = tmp.resolve("bomb");
        idxPair(src, "good", 0, 20);
        int claimed = 2_700_000;
        gzipBomb(src.resolve("bomb-images-idx3-ubyte.gz"), idxHeader(claimed, 28, 28), (long) claimed * 784);
        gzipBomb(src.resolve("bomb-labels-idx1-ubyte.gz"), idxHeader(claimed), claimed);
        assertThat(Files.size(src.resolve("bomb-images-idx3-ubyte.gz"))).isLessThan(3_000_000);

        // -Xmx128m: the same order as the launcher's 1 GB next to the 2.1 GB this file expands to.
        ChildJvm.Result run = ChildJvm.run(120, "128m", IngestMain.class, tmp.resolve("store").toString(),
                src.toString());

        assertThat(run.output()).doesNotContain("OutOfMemoryError");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("accepted 20")
                .contains("refused bomb-images-idx3-ubyte.gz TOO_LARGE: IDX pair refused as a whole")
                .contains("2,116,800,000 bytes of data");
    }

    /** A 6000×6000 PNG (36 megapixels, under the 40-megapixel limit): decoding it needs ~180 MB. */
    private static byte[] hugePicture() {
        BufferedImage image = new BufferedImage(6000, 6000, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 6000, 6000);
        g.setColor(Color.BLACK);
        g.fillRect(2000, 1000, 600, 4000);
        g.dispose();
        return MnistDigits.encode(image, "png");
    }

    /**
     * Once this ran the 128 MB child out of memory (quarantined as UNDECODABLE); the decode budget
     * (issue 15) now refuses it from its header before anything of its size is allocated.
     */
    @Test
    void aPictureThatWouldExhaustTheHeapIsRefusedBeforeDecodingAndTheRestIsStored() throws Exception {
        Path src = folders("mixed", 0, 5);
        write(src.resolve("1/huge.png"), hugePicture());

        ChildJvm.Result run = ChildJvm.run(120, "128m", IngestMain.class, tmp.resolve("store").toString(),
                src.toString());

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("accepted 5")
                .contains("refused 1/huge.png TOO_LARGE: decoding this 6000×6000 PNG needs about")
                .doesNotContain("OutOfMemoryError");
        assertThat(new DataStore(tmp.resolve("store")).loadAll().size()).isEqualTo(5);
    }

    @Test
    void killedAtEveryStepOfIngestTheStoreRecoversAndNothingIsLost() throws Exception {
        Path src = folders("src", 0, 6);
        write(src.resolve("7/broken.png"), "not a picture".getBytes(StandardCharsets.UTF_8));
        Path root = tmp.resolve("store");
        DataStore store = new DataStore(root);
        BatchManifest before = store.ingest(folders("before", 10, 3)).batch();

        for (String step : List.of("staged", "quarantined")) {
            ChildJvm.killAt(step, "256m", IngestMain.class, root.toString(), src.toString(), step);
            assertThat(store.batches()).extracting(BatchManifest::id).containsExactly(before.id());
            assertThat(entries(root)).anyMatch(n -> n.startsWith(".staging-"));
        }
        IngestResult retried = store.ingest(src);
        assertThat(retried.alreadyIngested()).isFalse();
        assertThat(retried.batch().accepted()).isEqualTo(6);
        assertThat(entries(root)).noneMatch(n -> n.startsWith(".staging-"));

        // Killed right after the rename: the batch is whole, and the next run says so.
        Path third = folders("third", 20, 3);
        ChildJvm.killAt("published", "256m", IngestMain.class, root.toString(), third.toString(), "published");
        assertThat(store.ingest(third).alreadyIngested()).isTrue();
        assertThat(store.repair()).isEmpty();
        assertThat(store.loadAll().size()).isEqualTo(3 + 6 + 3);
        List<String> quarantined = new ArrayList<>();
        for (Rejection r : store.ingest(src).rejected()) {
            quarantined.add(r.record());
        }
        assertThat(quarantined).containsExactly("7/broken.png");
    }
}
