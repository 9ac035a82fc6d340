package org.mnistpipeline.pipeline.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.DirectoryLock;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.pipeline.ingest.BatchValidator.Accepted;
import org.mnistpipeline.pipeline.ingest.BatchValidator.Refused;

/**
 * The writing side of a {@link DataStore} directory. A batch is built in a staging directory and
 * appears through one atomic rename, so a crash leaves either no batch or a whole one; its files
 * are read-only from then on. The quarantine of a batch is published first, so that once a batch
 * is visible the bytes its {@code quarantine.jsonl} names exist. Writers hold the store's lock.
 */
final class BatchPublisher {
    private final Path root;
    private final Path batchesDir;
    private final Path quarantineDir;
    private final Clock clock;
    private final Consumer<String> crashPoint;
    private final DirectoryLock lock;

    /** {@code crashPoint} is told each durable step ("staged", "quarantined"); tests stop there. */
    BatchPublisher(Path root, Clock clock, Consumer<String> crashPoint) {
        this.root = root;
        this.batchesDir = root.resolve("batches");
        this.quarantineDir = root.resolve("quarantine");
        this.clock = clock;
        this.crashPoint = crashPoint;
        this.lock = new DirectoryLock(root);
    }

    Path quarantineDir(String key) {
        return quarantineDir.resolve(key);
    }

    /**
     * Writes {@code fresh} as batch {@code id} with sequence number {@code sequence}, and the refused
     * records' bytes to the quarantine: built in staging directories, visible by one rename each.
     * Call it holding {@link #locked}.
     */
    BatchManifest publish(String id, int sequence, Path source, String format, List<Accepted> fresh,
            List<Refused> refused) throws IOException {
        Files.createDirectories(batchesDir);
        Path staging = Files.createTempDirectory(root, ".staging-" + id + "-");
        int n = fresh.size();
        byte[] images = new byte[n * DataStore.PIXELS];
        byte[] labels = new byte[n];
        byte[] signatures = new byte[n * DataStore.PIXELS];
        int[] classCounts = new int[DataStore.CLASSES];
        StringBuilder records = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Accepted a = fresh.get(i);
            System.arraycopy(a.pixels(), 0, images, i * DataStore.PIXELS, DataStore.PIXELS);
            System.arraycopy(a.signature(), 0, signatures, i * DataStore.PIXELS, DataStore.PIXELS);
            labels[i] = (byte) a.label();
            classCounts[a.label()]++;
            records.append(a.sha256()).append('\t').append(a.label()).append('\t')
                    .append(a.name().replace('\t', ' ').replace('\n', ' ')).append('\n');
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(DataStore.IMAGES, Idx.encode(images, n, 28, 28));
        files.put(DataStore.LABELS, Idx.encode(labels, n));
        files.put(DataStore.SIGNATURES, Idx.encode(signatures, n, 28, 28));
        files.put(DataStore.RECORDS, records.toString().getBytes(StandardCharsets.UTF_8));
        files.put(DataStore.QUARANTINE, quarantineLines(id, refused).getBytes(StandardCharsets.UTF_8));
        Map<String, String> digests = new TreeMap<>();
        for (var f : files.entrySet()) {
            AtomicFiles.write(staging.resolve(f.getKey()), f.getValue());
            digests.put(f.getKey(), Sha256.of(f.getValue()));
        }
        DataFingerprint fingerprint = DataFingerprint.of(digests);
        Map<String, Integer> byKind = new TreeMap<>();
        refused.forEach(r -> byKind.merge(r.rejection().kind().name(), 1, Integer::sum));
        BatchManifest manifest = new BatchManifest(BatchManifest.FORMAT_VERSION, id, sequence, source.toString(),
                clock.instant().toString(), format, n, refused.size(), classCounts, byKind, fingerprint.sha256(),
                fingerprint);
        Json.writeAtomically(staging.resolve(DataStore.MANIFEST), manifest);
        readOnly(staging);
        crashPoint.accept("staged");

        // The quarantine first: once the batch is visible, the bytes its quarantine.jsonl names exist.
        if (!Files.isDirectory(quarantineDir.resolve(id))) {
            publishQuarantine(id, refused);
        }
        crashPoint.accept("quarantined");
        AtomicFiles.moveAtomically(staging, batchesDir.resolve(id));
        return manifest;
    }

    /** Copies the original bytes of every refused record to {@code quarantine/<key>/}, atomically. */
    void publishQuarantine(String key, List<Refused> refused) throws IOException {
        Files.createDirectories(quarantineDir);
        Path staging = Files.createTempDirectory(root, ".staging-q-" + key + "-");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < refused.size(); i++) {
            Refused r = refused.get(i);
            String stored = storedName(i, r);
            if (stored != null) {
                Path target = staging.resolve(stored);
                if (r.bytes() != null) {
                    AtomicFiles.write(target, r.bytes());
                } else {
                    AtomicFiles.write(target, out -> Files.copy(r.file(), out));
                }
            }
        }
        lines.append(quarantineLines(key, refused));
        AtomicFiles.writeString(staging.resolve(DataStore.QUARANTINE), lines.toString());
        readOnly(staging);
        AtomicFiles.moveAtomically(staging, quarantineDir.resolve(key));
    }

    /** The file name a refused record's bytes get in the quarantine, or null when it has none. */
    private static String storedName(int index, Refused r) {
        if (r.bytes() == null && (r.file() == null || !Files.isRegularFile(r.file(),
                java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
            return null;
        }
        String safe = r.rejection().record().replaceAll("[^A-Za-z0-9._-]", "_");
        safe = safe.length() > 100 ? safe.substring(0, 100) : safe;
        // An IDX record has no file of its own: its 784 bytes (28×28, 0 = paper) are kept as .raw.
        String suffix = r.file() == null ? ".raw" : "";
        return String.format(java.util.Locale.ROOT, "%05d-%s%s", index, safe, suffix);
    }

    private static String quarantineLines(String key, List<Refused> refused) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < refused.size(); i++) {
            Refused r = refused.get(i);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("record", r.rejection().record());
            line.put("kind", r.rejection().kind().name());
            line.put("reason", r.rejection().reason());
            String stored = storedName(i, r);
            if (stored != null) {
                line.put("file", "quarantine/" + key + "/" + stored);
            }
            if (r.sha256() != null) {
                line.put("sha256", r.sha256());
            }
            lines.append(Json.compact(line)).append('\n');
        }
        return lines.toString();
    }

    /** Published files are 0444: nothing in a batch is ever rewritten. */
    private static void readOnly(Path dir) throws IOException {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--r--r--"));
            }
        }
    }

    /** Staging directories left by a crash: never visible as batches, removed on the next write. */
    void cleanStaging() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> entries = Files.list(root)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(".staging-")).toList()) {
                FileTrees.delete(p);
            }
        }
    }

    /** Runs {@code work} holding the store's lock, against other threads and other processes. */
    <T> T locked(DirectoryLock.Work<T> work) {
        try {
            return lock.run(work);
        } catch (NoSuchFileException e) {
            throw new DataException("data store " + root + ": " + e.getMessage() + " disappeared while ingesting", e);
        } catch (IOException | UncheckedIOException e) {
            throw new DataException("data store " + root + ": " + e.getMessage()
                    + "; check that the directory is writable and has free space", e);
        }
    }
}
