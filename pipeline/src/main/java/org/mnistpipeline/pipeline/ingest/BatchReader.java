package org.mnistpipeline.pipeline.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;

/**
 * The reading side of a {@link DataStore} directory: stored batches, each verified against the
 * SHA-256 digests of its manifest before anything in it is used. Takes no lock: batches are
 * immutable once visible.
 */
final class BatchReader {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

    /** One stored record, as the duplicate checks see it. */
    record StoredRecord(String batch, String sha256, int label, String name, byte[] signature) {}

    private final Path root;
    private final Path batchesDir;

    BatchReader(Path root) {
        this.root = root;
        this.batchesDir = root.resolve("batches");
    }

    /** Stored batches, oldest (lowest sequence) first. */
    List<BatchManifest> batches() {
        if (!Files.isDirectory(batchesDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(batchesDir)) {
            return dirs.filter(d -> ID.matcher(d.getFileName().toString()).matches())
                    .map(d -> manifest(d.getFileName().toString()))
                    .sorted(Comparator.comparingInt(BatchManifest::sequence))
                    .toList();
        } catch (IOException e) {
            throw new DataException("cannot list " + batchesDir + ": " + e.getMessage(), e);
        }
    }

    Optional<BatchManifest> batch(String id) {
        if (id == null || !ID.matcher(id).matches() || !Files.isDirectory(batchesDir.resolve(id))) {
            return Optional.empty();
        }
        return Optional.of(manifest(id));
    }

    /** One digest per batch, keyed by data version ({@code v000001-<id>}): changes exactly when a batch is added. */
    DataFingerprint fingerprint() {
        Map<String, String> digests = new TreeMap<>();
        for (BatchManifest m : batches()) {
            digests.put(String.format(java.util.Locale.ROOT, "v%06d-%s", m.sequence(), m.id()), m.sha256());
        }
        return DataFingerprint.of(digests);
    }

    LabeledImages load(String batchId) {
        BatchManifest manifest = batch(batchId)
                .orElseThrow(() -> new DataException("no batch " + batchId + " in data store " + root
                        + "; `mnist data batches` lists them"));
        Path dir = batchesDir.resolve(batchId);
        verify(manifest, dir);
        LabeledImages data = LabeledImages.of(Idx.read(dir.resolve(DataStore.IMAGES)),
                Idx.read(dir.resolve(DataStore.LABELS)), "batch " + batchId);
        return new LabeledImages(data.pixels(), data.labels(), data.rows(), data.cols(), DataStore.CLASSES);
    }

    LabeledImages loadAll() {
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        ByteArrayOutputStream labels = new ByteArrayOutputStream();
        for (BatchManifest m : batches()) {
            LabeledImages batch = load(m.id());
            pixels.writeBytes(batch.pixels());
            labels.writeBytes(batch.labels());
        }
        return new LabeledImages(pixels.toByteArray(), labels.toByteArray(), 28, 28, DataStore.CLASSES);
    }

    /** Every stored record (content hash, label, name, signature), each batch verified first. */
    List<StoredRecord> records() throws IOException {
        List<StoredRecord> out = new ArrayList<>();
        for (BatchManifest m : batches()) {
            Path dir = batchesDir.resolve(m.id());
            verify(m, dir); // a damaged index would let duplicates through unnoticed
            List<RecordsFile.Row> rows = rows(m, dir);
            byte[] signatures = Idx.read(dir.resolve(DataStore.SIGNATURES)).data();
            int size = DataStore.PIXELS;
            if (signatures.length != rows.size() * size) {
                throw damaged(m.id(), DataStore.SIGNATURES + " holds " + signatures.length / size
                        + " signatures for " + rows.size() + " records", m.source());
            }
            for (int i = 0; i < rows.size(); i++) {
                RecordsFile.Row row = rows.get(i);
                out.add(new StoredRecord(m.id(), row.sha256(), row.label(), row.name(),
                        Arrays.copyOfRange(signatures, i * size, (i + 1) * size)));
            }
        }
        return out;
    }

    /** The rows of a verified batch's {@code records.tsv}. */
    private List<RecordsFile.Row> rows(BatchManifest m, Path dir) throws IOException {
        String content = new String(Files.readAllBytes(dir.resolve(DataStore.RECORDS)), StandardCharsets.UTF_8);
        try {
            return RecordsFile.parse(content, m.accepted());
        } catch (RecordsFile.Malformed e) {
            throw damaged(m.id(), DataStore.RECORDS + " cannot be read: " + e.getMessage(), m.source());
        }
    }

    /**
     * What is wrong with the batch stored in {@code batches/<id>}, if anything: its manifest, the
     * digest of each file, the record index. Empty when it is whole, and for a batch written by a
     * newer release (that needs an upgrade, not a repair).
     */
    Optional<String> problem(String id) {
        Path dir = batchesDir.resolve(id);
        try {
            BatchManifest m = manifest(id);
            verify(m, dir);
            rows(m, dir);
            return Optional.empty();
        } catch (NewerFormat e) {
            return Optional.empty();
        } catch (Damaged e) {
            return Optional.of(e.what);
        } catch (DataException e) {
            return Optional.of(e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            return Optional.of("batch " + id + " cannot be read: " + e.getMessage());
        }
    }

    /** Every directory under {@code batches/} named like a batch, whatever its state. */
    List<String> batchDirectories() {
        if (!Files.isDirectory(batchesDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(batchesDir)) {
            return dirs.map(d -> d.getFileName().toString()).filter(n -> ID.matcher(n).matches()).sorted().toList();
        } catch (IOException e) {
            throw new DataException("cannot list " + batchesDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A damaged batch, with the way out: set it aside with {@code mnist data repair} (the rest of
     * the store stays usable) and ingest its source again. Restoring the directory from a backup
     * works too.
     */
    Damaged damaged(String id, String what, String source) {
        return new Damaged(what, "batch " + id + " in data store " + root + " is damaged: " + what
                + "; run `mnist data repair` to set it aside (it moves to " + root.resolve(DataStore.DAMAGED)
                + "), then ingest its source again" + (source == null ? "" : " (" + source + ")")
                + ", or restore " + batchesDir.resolve(id) + " from a backup");
    }

    /** A stored batch that is not whole; {@code what} says what is wrong, the message also how to recover. */
    static final class Damaged extends DataException {
        final String what;

        Damaged(String what, String message) {
            super(message);
            this.what = what;
        }
    }

    /** A batch written by a newer release: not damage, and not for {@code repair} to touch. */
    static final class NewerFormat extends DataException {
        NewerFormat(String message) {
            super(message);
        }
    }

    /** The refusals a stored batch recorded in its {@code quarantine.jsonl}. */
    List<Rejection> quarantine(String id) throws IOException {
        List<Rejection> out = new ArrayList<>();
        for (String line : Files.readAllLines(batchesDir.resolve(id).resolve(DataStore.QUARANTINE),
                StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = Json.parse(line, Map.class);
                out.add(new Rejection((String) m.get("record"), (String) m.get("reason"),
                        Rejection.Kind.valueOf((String) m.get("kind"))));
            }
        }
        return out;
    }

    BatchManifest manifest(String id) {
        Path file = batchesDir.resolve(id).resolve(DataStore.MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw damaged(id, "it has no " + DataStore.MANIFEST, null);
        }
        BatchManifest m;
        try {
            m = Json.read(file, BatchManifest.class);
        } catch (RuntimeException e) {
            throw damaged(id, DataStore.MANIFEST + " is unreadable (" + e.getMessage() + ")", null);
        }
        if (m.formatVersion() != BatchManifest.FORMAT_VERSION) {
            throw new NewerFormat("batch " + id + " has format version " + m.formatVersion() + "; this release reads "
                    + BatchManifest.FORMAT_VERSION + ": upgrade mnist-pipeline");
        }
        if (!id.equals(m.id())) {
            throw damaged(id, "its directory holds the manifest of batch " + m.id(), m.source());
        }
        return m;
    }

    private void verify(BatchManifest manifest, Path dir) {
        for (var file : manifest.fingerprint().files().entrySet()) {
            Path path = dir.resolve(file.getKey());
            String actual;
            try {
                actual = Sha256.of(path);
            } catch (UncheckedIOException e) {
                throw damaged(manifest.id(), file.getKey() + " cannot be read (" + e.getCause().getMessage() + ")",
                        manifest.source());
            }
            if (!actual.equals(file.getValue())) {
                throw damaged(manifest.id(), file.getKey() + " has SHA-256 " + actual + " but its manifest says "
                        + file.getValue(), manifest.source());
            }
        }
        if (!DataFingerprint.of(manifest.fingerprint().files()).sha256().equals(manifest.sha256())) {
            throw damaged(manifest.id(), "manifest.json's digests do not add up", manifest.source());
        }
    }
}
