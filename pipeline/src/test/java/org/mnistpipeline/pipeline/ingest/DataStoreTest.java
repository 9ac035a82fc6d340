package org.mnistpipeline.pipeline.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.pipeline.ingest.Rejection.Kind;

class DataStoreTest {
    /** MNIST test images used as the good records: two of each digit, and extra 1s (they look alike). */
    private static final int[] GOOD = goodIndices();

    @TempDir
    Path tmp;

    private static int[] goodIndices() {
        List<Integer> picked = new ArrayList<>();
        int[] perClass = new int[10];
        for (int i = 0; picked.size() < 24; i++) {
            int label = MnistDigits.label(i);
            if (perClass[label] < (label == 1 ? 6 : 2)) {
                perClass[label]++;
                picked.add(i);
            }
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    private static Map<String, Rejection> byRecord(List<Rejection> rejections) {
        return rejections.stream().collect(Collectors.toMap(Rejection::record, Function.identity()));
    }

    private static List<String> tree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.map(p -> root.relativize(p) + (Files.isRegularFile(p) ? " " + p.toFile().length() : ""))
                    .sorted().toList();
        }
    }

    /**
     * Good digits as 112 px PNGs in label folders, plus one of every kind of bad record. Records
     * are taken in name order, so of two copies the first by name is kept: copies are named zz-….
     */
    private Path mixedBatch() throws IOException {
        Path src = tmp.resolve("mixed");
        for (int i : GOOD) {
            write(src.resolve(MnistDigits.label(i) + "/d" + i + ".png"), MnistDigits.png(i, 112));
        }
        int dup = GOOD[0];
        int nearDup = GOOD[1];
        int conflicted = GOOD[2];
        byte[] png = MnistDigits.png(GOOD[3], 112);
        write(src.resolve(MnistDigits.label(dup) + "/zz-copy-of-d" + dup + ".png"), MnistDigits.png(dup, 112));
        write(src.resolve(MnistDigits.label(nearDup) + "/zz-d" + nearDup + "-small.jpg"), MnistDigits.jpeg(nearDup, 84));
        int wrong = (MnistDigits.label(conflicted) + 1) % 10;
        write(src.resolve(wrong + "/relabelled.png"), MnistDigits.png(conflicted, 112));
        write(src.resolve("3/truncated.png"), Arrays.copyOf(png, png.length / 2));
        write(src.resolve("4/notes.png"), "these are my notes, not a picture\n".getBytes(StandardCharsets.UTF_8));
        write(src.resolve("12/twelve.png"), MnistDigits.png(100, 112));
        write(src.resolve("x/unknown.png"), MnistDigits.png(101, 112));
        BufferedImage white = new BufferedImage(100, 100, BufferedImage.TYPE_INT_RGB);
        white.getGraphics().fillRect(0, 0, 100, 100);
        write(src.resolve("5/blank.png"), MnistDigits.encode(white, "png"));
        write(src.resolve("README.txt"), "batch of 2026-11-28\n".getBytes(StandardCharsets.UTF_8));
        return src;
    }

    @Test
    void mixedBatchStoresTheGoodRecordsAndQuarantinesEveryBadOneWithItsReason() throws IOException {
        Path src = mixedBatch();
        DataStore store = new DataStore(tmp.resolve("store"));
        IngestResult result = store.ingest(src);

        int conflicted = GOOD[2];
        String conflictedName = MnistDigits.label(conflicted) + "/d" + conflicted + ".png";
        Map<String, Rejection> rejected = byRecord(result.rejected());
        assertThat(rejected.keySet()).containsExactlyInAnyOrder(
                MnistDigits.label(GOOD[0]) + "/zz-copy-of-d" + GOOD[0] + ".png",
                MnistDigits.label(GOOD[1]) + "/zz-d" + GOOD[1] + "-small.jpg",
                (MnistDigits.label(conflicted) + 1) % 10 + "/relabelled.png", conflictedName,
                "3/truncated.png", "4/notes.png", "12/twelve.png", "x/unknown.png", "5/blank.png", "README.txt");
        assertThat(rejected.get(MnistDigits.label(GOOD[0]) + "/zz-copy-of-d" + GOOD[0] + ".png"))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.DUPLICATE))
                .satisfies(r -> assertThat(r.reason()).contains("byte-identical to").contains("d" + GOOD[0] + ".png"));
        assertThat(rejected.get(MnistDigits.label(GOOD[1]) + "/zz-d" + GOOD[1] + "-small.jpg"))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.NEAR_DUPLICATE))
                .satisfies(r -> assertThat(r.reason()).contains("same picture").contains("d" + GOOD[1] + ".png"));
        assertThat(rejected.get((MnistDigits.label(conflicted) + 1) % 10 + "/relabelled.png").kind())
                .isEqualTo(Kind.CONFLICTING_DUPLICATE);
        assertThat(rejected.get(conflictedName))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.CONFLICTING_DUPLICATE))
                .satisfies(r -> assertThat(r.reason()).contains("conflicting labels"));
        assertThat(rejected.get("3/truncated.png"))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.UNDECODABLE))
                .satisfies(r -> assertThat(r.reason()).contains("corrupt or truncated"));
        assertThat(rejected.get("4/notes.png"))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.UNDECODABLE))
                .satisfies(r -> assertThat(r.reason()).contains("not a PNG, JPEG, GIF or BMP"));
        assertThat(rejected.get("12/twelve.png"))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.BAD_LABEL))
                .satisfies(r -> assertThat(r.reason()).contains("folder name '12'").contains("0-9"));
        assertThat(rejected.get("x/unknown.png").kind()).isEqualTo(Kind.BAD_LABEL);
        assertThat(rejected.get("5/blank.png"))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.BLANK))
                .satisfies(r -> assertThat(r.reason()).contains("no ink"));
        assertThat(rejected.get("README.txt").kind()).isEqualTo(Kind.UNEXPECTED_FILE);

        BatchManifest batch = result.batch();
        assertThat(result.alreadyIngested()).isFalse();
        assertThat(batch.accepted()).isEqualTo(GOOD.length - 1);
        assertThat(batch.quarantined()).isEqualTo(10);
        assertThat(batch.duplicates()).isEqualTo(4);
        assertThat(batch.sequence()).isEqualTo(1);
        assertThat(batch.format()).isEqualTo("folders");
        int[] expected = new int[10];
        for (int i : GOOD) {
            expected[MnistDigits.label(i)]++;
        }
        expected[MnistDigits.label(conflicted)]--;
        assertThat(batch.classCounts()).containsExactly(expected);
        assertThat(batch.rejectedByKind()).containsEntry("UNDECODABLE", 2).containsEntry("BAD_LABEL", 2)
                .containsEntry("CONFLICTING_DUPLICATE", 2);

        // Every refused record is in the quarantine: its reason in quarantine.jsonl, its bytes kept.
        Path batchDir = store.root().resolve("batches").resolve(batch.id());
        List<String> lines = Files.readAllLines(batchDir.resolve(DataStore.QUARANTINE));
        assertThat(lines).hasSize(10);
        for (String line : lines) {
            @SuppressWarnings("unchecked")
            Map<String, Object> entry = org.mnistpipeline.io.Json.parse(line, Map.class);
            assertThat(entry).containsKeys("record", "kind", "reason", "file");
            Path kept = store.root().resolve((String) entry.get("file"));
            assertThat(kept).isRegularFile();
            assertThat(Files.readAllBytes(kept)).isEqualTo(Files.readAllBytes(src.resolve((String) entry.get("record"))));
        }
        assertThat(Files.getPosixFilePermissions(batchDir.resolve(DataStore.IMAGES)))
                .isEqualTo(PosixFilePermissions.fromString("r--r--r--"));

        // What is stored is what inference would see: the server's preprocessing of each picture.
        LabeledImages data = store.load(batch.id());
        assertThat(data.size()).isEqualTo(GOOD.length - 1);
        assertThat(data.numClasses()).isEqualTo(10);
        assertThat(data.classCounts()).containsExactly(expected);
        List<String> records = Files.readAllLines(batchDir.resolve(DataStore.RECORDS));
        int row = records.indexOf(records.stream()
                .filter(l -> l.endsWith("\t" + MnistDigits.label(GOOD[0]) + "/d" + GOOD[0] + ".png")).findFirst().orElseThrow());
        assertThat(data.label(row)).isEqualTo(MnistDigits.label(GOOD[0]));
        float[] served = new ImagePreprocessor().preprocess(MnistDigits.png(GOOD[0], 112));
        float[] stored = ImagePreprocessor.fromMnistBytes(data.pixels(), row * 784);
        for (int p = 0; p < served.length; p++) {
            assertThat(stored[p]).isCloseTo(served[p], org.assertj.core.data.Offset.offset(0.5f / 255));
        }
    }

    @Test
    void reingestingTheSameBatchIsANoOp() throws IOException {
        Path src = mixedBatch();
        DataStore store = new DataStore(tmp.resolve("store"));
        IngestResult first = store.ingest(src);
        List<String> before = tree(store.root());

        IngestResult again = new DataStore(tmp.resolve("store")).ingest(src);

        assertThat(again.alreadyIngested()).isTrue();
        assertThat(again.batch()).isEqualTo(first.batch());
        assertThat(again.rejected()).isEqualTo(first.rejected());
        assertThat(tree(store.root())).isEqualTo(before);
        assertThat(store.batches()).hasSize(1);

        // One more bad file makes it another batch: its records are all stored already, and the new
        // file is quarantined rather than ignored.
        write(src.resolve("6/late.png"), "still not a picture".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.ingest(src)).isInstanceOfSatisfying(IngestException.class, e -> {
            assertThat(e.getMessage()).contains("nothing to store");
            assertThat(byRecord(e.rejected()).get("6/late.png").kind()).isEqualTo(Kind.UNDECODABLE);
            assertThat(byRecord(e.rejected()).get(MnistDigits.label(GOOD[3]) + "/d" + GOOD[3] + ".png").reason()).contains("in batch " + first.batch().id());
        });
        assertThat(store.batches()).hasSize(1);
    }

    @Test
    void picturesOverTheServersPixelLimitAreRefusedBeforeDecoding() throws IOException {
        Path src = tmp.resolve("big");
        write(src.resolve("3/photo.png"), MnistDigits.png(GOOD[0], 112));
        write(src.resolve("3/small.png"), MnistDigits.png(GOOD[1], 28));
        DataStore store = new DataStore(tmp.resolve("store"), Clock.systemUTC(), new ImagePreprocessor(10_000), s -> { });

        IngestResult result = store.ingest(src);

        assertThat(result.batch().accepted()).isEqualTo(1);
        assertThat(result.rejected()).singleElement().satisfies(r -> {
            assertThat(r.record()).isEqualTo("3/photo.png");
            assertThat(r.kind()).isEqualTo(Kind.TOO_LARGE);
            assertThat(r.reason()).contains("112×112").contains("megapixels");
        });
    }

    @Test
    void laterBatchesAreNumberedAndTheirDuplicatesOfStoredRecordsRefused() throws IOException {
        DataStore store = new DataStore(tmp.resolve("store"));
        BatchManifest first = store.ingest(mixedBatch()).batch();
        String fingerprintAfterFirst = store.fingerprint().sha256();

        Path src = tmp.resolve("second");
        int stored = GOOD[5];
        write(src.resolve(MnistDigits.label(stored) + "/again.png"), MnistDigits.png(stored, 112));
        write(src.resolve(MnistDigits.label(GOOD[6]) + "/rescaled.jpg"), MnistDigits.jpeg(GOOD[6], 200));
        write(src.resolve((MnistDigits.label(GOOD[7]) + 3) % 10 + "/mislabelled.png"), MnistDigits.png(GOOD[7], 112));
        write(src.resolve(MnistDigits.label(200) + "/new.png"), MnistDigits.png(200, 112));
        IngestResult result = store.ingest(src);

        assertThat(result.batch().sequence()).isEqualTo(2);
        assertThat(result.batch().accepted()).isEqualTo(1);
        Map<String, Rejection> rejected = byRecord(result.rejected());
        assertThat(rejected.get(MnistDigits.label(stored) + "/again.png").reason())
                .contains("byte-identical").contains("in batch " + first.id());
        assertThat(rejected.get(MnistDigits.label(GOOD[6]) + "/rescaled.jpg").kind()).isEqualTo(Kind.NEAR_DUPLICATE);
        assertThat(rejected.get((MnistDigits.label(GOOD[7]) + 3) % 10 + "/mislabelled.png"))
                .satisfies(r -> assertThat(r.kind()).isEqualTo(Kind.CONFLICTING_DUPLICATE))
                .satisfies(r -> assertThat(r.reason()).contains("label " + MnistDigits.label(GOOD[7])));
        assertThat(store.batches()).extracting(BatchManifest::sequence).containsExactly(1, 2);
        assertThat(store.latest()).contains(result.batch());
        assertThat(store.fingerprint().sha256()).isNotEqualTo(fingerprintAfterFirst);
        assertThat(store.fingerprint().files()).hasSize(2).containsValue(first.sha256());
        assertThat(store.batch(result.batch().id())).contains(result.batch());
        assertThat(store.loadAll().size()).isEqualTo(first.accepted() + 1);
    }

    private static byte[] idx(byte[] data, int... dims) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(new byte[] {0, 0, 8, (byte) dims.length});
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return bytes.toByteArray();
    }

    @Test
    void idxPairIsTakenAsIsAndBrokenPairsAreRefusedWhole() throws IOException {
        Path src = tmp.resolve("idx");
        int n = 40;
        byte[] pixels = Arrays.copyOf(MnistDigits.test().pixels(), (n + 3) * 784);
        byte[] labels = Arrays.copyOf(MnistDigits.test().labels(), n + 3);
        Arrays.fill(pixels, n * 784, (n + 1) * 784, (byte) 0); // record n: blank
        labels[n + 1] = 11; // record n+1: label out of range
        for (int p = 0; p < 784; p++) { // record n+2: black ink on white, the wrong way round
            pixels[(n + 2) * 784 + p] = (byte) (255 - (MnistDigits.test().pixels()[p] & 0xff));
        }
        write(src.resolve("batch-images-idx3-ubyte"), idx(pixels, n + 3, 28, 28));
        write(src.resolve("batch-labels-idx1-ubyte"), idx(labels, n + 3));
        write(src.resolve("more-images-idx3-ubyte"), idx(new byte[3 * 784], 3, 28, 28));
        write(src.resolve("more-labels-idx1-ubyte"), idx(new byte[2], 2));
        write(src.resolve("wide-images-idx3-ubyte"), idx(new byte[2 * 28 * 30], 2, 28, 30));

        DataStore store = new DataStore(tmp.resolve("store"));
        IngestResult result = store.ingest(src);

        assertThat(result.batch().format()).isEqualTo("idx");
        assertThat(result.batch().accepted()).isEqualTo(n);
        Map<String, Rejection> rejected = byRecord(result.rejected());
        assertThat(rejected.keySet()).containsExactlyInAnyOrder("batch-images-idx3-ubyte#" + n,
                "batch-images-idx3-ubyte#" + (n + 1), "batch-images-idx3-ubyte#" + (n + 2), "more-images-idx3-ubyte", "more-labels-idx1-ubyte",
                "wide-images-idx3-ubyte");
        assertThat(rejected.get("batch-images-idx3-ubyte#" + n).kind()).isEqualTo(Kind.BLANK);
        assertThat(rejected.get("batch-images-idx3-ubyte#" + (n + 1)).reason()).contains("IDX label '11'");
        assertThat(rejected.get("batch-images-idx3-ubyte#" + (n + 2)).kind()).isEqualTo(Kind.INVERTED);
        assertThat(rejected.get("more-images-idx3-ubyte").reason()).contains("3 images but").contains("2 labels");
        assertThat(rejected.get("wide-images-idx3-ubyte").reason()).contains("no labels file");

        LabeledImages data = store.load(result.batch().id());
        assertThat(data.pixels()).isEqualTo(Arrays.copyOf(MnistDigits.test().pixels(), n * 784));
        assertThat(data.labels()).isEqualTo(Arrays.copyOf(MnistDigits.test().labels(), n));
    }

    @Test
    void csvSourceLabelsImagesByRowAndRefusesBadRows() throws IOException {
        Path src = tmp.resolve("csv");
        StringBuilder csv = new StringBuilder("\uFEFFfile,label\n"); // with the BOM spreadsheets write
        for (int k = 0; k < 6; k++) {
            int i = GOOD[k];
            write(src.resolve("img/" + i + ".png"), MnistDigits.png(i, 112));
            csv.append("img/").append(i).append(".png,").append(MnistDigits.label(i)).append('\n');
        }
        write(src.resolve("img/eleven.png"), MnistDigits.png(300, 112));
        write(src.resolve("img/seven.png"), MnistDigits.png(301, 112));
        write(src.resolve("img/unlisted.png"), MnistDigits.png(302, 112));
        csv.append("img/eleven.png,11\n").append("img/seven.png,seven\n").append("img/gone.png,3\n")
                .append("img/").append(GOOD[0]).append(".png,4\n").append("just one field\n");
        write(src.resolve("labels.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));

        IngestResult result = new DataStore(tmp.resolve("store")).ingest(src);

        assertThat(result.batch().format()).isEqualTo("csv");
        assertThat(result.batch().accepted()).isEqualTo(6);
        Map<String, Rejection> rejected = byRecord(result.rejected());
        assertThat(rejected.keySet()).containsExactlyInAnyOrder("img/eleven.png", "img/seven.png",
                "img/unlisted.png", "labels.csv:10", "labels.csv:11", "labels.csv:12");
        assertThat(rejected.get("img/eleven.png").reason()).contains("labels.csv line 8 '11' is not a label");
        assertThat(rejected.get("img/seven.png").reason()).contains("'seven' is not a label");
        assertThat(rejected.get("img/unlisted.png").reason()).contains("has no row in labels.csv");
        assertThat(rejected.get("labels.csv:10").reason()).contains("img/gone.png, which is not in the source");
        assertThat(rejected.get("labels.csv:11").reason()).contains("labelled again; line 2");
        assertThat(rejected.get("labels.csv:12").reason()).contains("expected file,label");
        assertThat(rejected.values()).extracting(Rejection::kind).containsOnly(Kind.BAD_LABEL);
    }

    @Test
    void loadRefusesATamperedBatchNamingTheFile() throws IOException {
        DataStore store = new DataStore(tmp.resolve("store"));
        BatchManifest batch = store.ingest(mixedBatch()).batch();
        Path images = store.root().resolve("batches").resolve(batch.id()).resolve(DataStore.IMAGES);
        Files.setPosixFilePermissions(images, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] bytes = Files.readAllBytes(images);
        bytes[500] ^= 0x40;
        Files.write(images, bytes);

        assertThatThrownBy(() -> store.load(batch.id())).isInstanceOf(DataException.class)
                .hasMessageContaining("is damaged").hasMessageContaining(DataStore.IMAGES);
        assertThatThrownBy(() -> store.load("0123456789abcdef")).isInstanceOf(DataException.class)
                .hasMessageContaining("no batch 0123456789abcdef");
    }

    @Test
    void aCrashMidIngestLeavesNoBatchVisibleAndARerunSucceeds() throws IOException {
        Path src = mixedBatch();
        Path root = tmp.resolve("store");
        for (String step : List.of("staged", "quarantined")) {
            DataStore crashing = new DataStore(root, Clock.systemUTC(), new ImagePreprocessor(), s -> {
                if (s.equals(step)) {
                    throw new IllegalStateException("simulated crash at " + s);
                }
            });
            assertThatThrownBy(() -> crashing.ingest(src)).hasMessageContaining("simulated crash");
            assertThat(new DataStore(root).batches()).isEmpty();
            assertThat(root.resolve("batches")).isEmptyDirectory();
        }

        IngestResult result = new DataStore(root).ingest(src);
        assertThat(result.alreadyIngested()).isFalse();
        assertThat(result.batch().accepted()).isEqualTo(GOOD.length - 1);
        try (Stream<Path> entries = Files.list(root)) {
            assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".staging"));
        }
    }

    @Test
    void sourceWithNothingAcceptableFailsWithEveryReasonAndKeepsTheFiles() throws IOException {
        Path src = tmp.resolve("bad");
        write(src.resolve("7/broken.png"), "not an image".getBytes(StandardCharsets.UTF_8));
        write(src.resolve("seven/a.png"), MnistDigits.png(0, 112));
        DataStore store = new DataStore(tmp.resolve("store"));

        assertThatThrownBy(() -> store.ingest(src)).isInstanceOfSatisfying(IngestException.class, e -> {
            assertThat(e.getMessage()).contains("all 2 records were refused");
            assertThat(e.rejected()).extracting(Rejection::record).containsExactly("7/broken.png", "seven/a.png");
        });
        assertThat(store.batches()).isEmpty();
        try (Stream<Path> kept = Files.walk(store.root().resolve("quarantine"))) {
            assertThat(kept.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.endsWith("broken.png")).anyMatch(n -> n.endsWith("a.png"));
        }
        assertThatThrownBy(() -> store.ingest(tmp.resolve("nowhere"))).isInstanceOf(DataException.class)
                .hasMessageContaining("is not a directory");
    }
}
