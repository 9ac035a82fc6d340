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
            List<String> lines = Files.readAllLines(dir.resolve(DataStore.RECORDS), StandardCharsets.UTF_8);
            byte[] signatures = Idx.read(dir.resolve(DataStore.SIGNATURES)).data();
            int size = DataStore.PIXELS;
            for (int i = 0; i < lines.size(); i++) {
                String[] f = lines.get(i).split("\t", 3);
                out.add(new StoredRecord(m.id(), f[0], Integer.parseInt(f[1]), f[2],
                        Arrays.copyOfRange(signatures, i * size, (i + 1) * size)));
            }
        }
        return out;
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
            throw new DataException("batch " + id + " in " + root + " has no " + DataStore.MANIFEST
                    + "; restore it from a backup");
        }
        BatchManifest m;
        try {
            m = Json.read(file, BatchManifest.class);
        } catch (RuntimeException e) {
            throw new DataException("batch " + id + ": " + DataStore.MANIFEST + " is unreadable: " + e.getMessage(), e);
        }
        if (m.formatVersion() != BatchManifest.FORMAT_VERSION) {
            throw new DataException("batch " + id + " has format version " + m.formatVersion() + "; this release reads "
                    + BatchManifest.FORMAT_VERSION + ": upgrade mnist-pipeline");
        }
        if (!id.equals(m.id())) {
            throw new DataException("batch directory " + id + " holds the manifest of batch " + m.id());
        }
        return m;
    }

    private static void verify(BatchManifest manifest, Path dir) {
        for (var file : manifest.fingerprint().files().entrySet()) {
            Path path = dir.resolve(file.getKey());
            String actual;
            try {
                actual = Sha256.of(path);
            } catch (UncheckedIOException e) {
                throw new DataException("batch " + manifest.id() + " is damaged: " + file.getKey()
                        + " cannot be read (" + e.getCause().getMessage() + "); restore " + dir + " or re-ingest its source");
            }
            if (!actual.equals(file.getValue())) {
                throw new DataException("batch " + manifest.id() + " is damaged: " + file.getKey() + " has SHA-256 "
                        + actual + " but its manifest says " + file.getValue() + "; restore " + dir
                        + " or re-ingest its source");
            }
        }
        if (!DataFingerprint.of(manifest.fingerprint().files()).sha256().equals(manifest.sha256())) {
            throw new DataException("batch " + manifest.id() + " is damaged: manifest.json's digests do not add up");
        }
    }
}
