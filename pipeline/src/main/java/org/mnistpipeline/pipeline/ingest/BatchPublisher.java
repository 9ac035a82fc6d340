package org.mnistpipeline.pipeline.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
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
    /** Of a refused record, the quarantine keeps at most this many leading bytes (and the full hash). */
    static final long QUARANTINE_KEEP_BYTES = 1L << 20;

    private final Path root;
    private final Path batchesDir;
    private final Path quarantineDir;
    private final Clock clock;
    private final Consumer<String> crashPoint;
    private final DirectoryLock lock;

    /** {@code crashPoint} is told each durable step ("staged", "quarantined", "published"); tests stop there. */
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
            records.append(RecordsFile.row(a.sha256(), a.label(), a.name()));
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(DataStore.IMAGES, Idx.encode(images, n, 28, 28));
        files.put(DataStore.LABELS, Idx.encode(labels, n));
        files.put(DataStore.SIGNATURES, Idx.encode(signatures, n, 28, 28));
        files.put(DataStore.RECORDS, records.toString().getBytes(StandardCharsets.UTF_8));
        List<Kept> kept = kept(refused);
        files.put(DataStore.QUARANTINE, quarantineLines(id, refused, kept).getBytes(StandardCharsets.UTF_8));
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
            publishQuarantine(id, refused, kept);
        }
        crashPoint.accept("quarantined");
        AtomicFiles.moveAtomically(staging, batchesDir.resolve(id));
        crashPoint.accept("published");
        return manifest;
    }

    /**
     * Copies the original bytes of every refused record to {@code quarantine/<key>/}, atomically;
     * of a file over {@link #QUARANTINE_KEEP_BYTES} only that many leading bytes (named
     * {@code .head}), its size and SHA-256 are kept: enough to recognise it, not a second copy.
     */
    void publishQuarantine(String key, List<Refused> refused) throws IOException {
        publishQuarantine(key, refused, kept(refused));
    }

    private void publishQuarantine(String key, List<Refused> refused, List<Kept> kept) throws IOException {
        Files.createDirectories(quarantineDir);
        Path staging = Files.createTempDirectory(root, ".staging-q-" + key + "-");
        for (int i = 0; i < refused.size(); i++) {
            Refused r = refused.get(i);
            Kept k = kept.get(i);
            if (k != null) {
                Path target = staging.resolve(k.stored());
                if (r.bytes() != null) {
                    AtomicFiles.write(target, Arrays.copyOf(r.bytes(), (int) Math.min(r.bytes().length,
                            QUARANTINE_KEEP_BYTES)));
                } else {
                    AtomicFiles.write(target, out -> {
                        try (InputStream in = Files.newInputStream(r.file(), LinkOption.NOFOLLOW_LINKS)) {
                            out.write(in.readNBytes((int) QUARANTINE_KEEP_BYTES));
                        }
                    });
                }
            }
        }
        AtomicFiles.writeString(staging.resolve(DataStore.QUARANTINE), quarantineLines(key, refused, kept));
        readOnly(staging);
        AtomicFiles.moveAtomically(staging, quarantineDir.resolve(key));
    }

    /** What the quarantine keeps of one refused record: file name, full size and SHA-256. */
    private record Kept(String stored, long size, String sha256) {
        boolean truncated() {
            return size > QUARANTINE_KEEP_BYTES;
        }
    }

    /** Per refused record, what is kept of it (null for a record without bytes, such as a CSV row). */
    private static List<Kept> kept(List<Refused> refused) throws IOException {
        List<Kept> kept = new ArrayList<>(refused.size());
        for (int i = 0; i < refused.size(); i++) {
            Refused r = refused.get(i);
            long size;
            String sha;
            if (r.bytes() != null) {
                size = r.bytes().length;
                sha = r.sha256() != null ? r.sha256() : Sha256.of(r.bytes());
            } else if (r.file() != null && Files.isRegularFile(r.file(), LinkOption.NOFOLLOW_LINKS)) {
                size = Files.size(r.file());
                sha = Sha256.of(r.file()); // streamed: the file may be far larger than what is kept
            } else {
                kept.add(null);
                continue;
            }
            String safe = r.rejection().record().replaceAll("[^A-Za-z0-9._-]", "_");
            safe = safe.length() > 100 ? safe.substring(0, 100) : safe;
            // An IDX record has no file of its own: its 784 bytes (28×28, 0 = paper) are kept as .raw.
            String suffix = size > QUARANTINE_KEEP_BYTES ? ".head" : r.file() == null ? ".raw" : "";
            kept.add(new Kept(String.format(java.util.Locale.ROOT, "%05d-%s%s", i, safe, suffix), size, sha));
        }
        return kept;
    }

    private static String quarantineLines(String key, List<Refused> refused, List<Kept> kept) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < refused.size(); i++) {
            Refused r = refused.get(i);
            Kept k = kept.get(i);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("record", r.rejection().record());
            line.put("kind", r.rejection().kind().name());
            line.put("reason", r.rejection().reason());
            if (k != null) {
                line.put("file", "quarantine/" + key + "/" + k.stored());
                line.put("sha256", k.sha256());
                line.put("bytes", k.size());
                if (k.truncated()) {
                    line.put("keptBytes", QUARANTINE_KEEP_BYTES);
                }
            } else if (r.sha256() != null) {
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

    /**
     * Moves batch {@code id} out of {@code batches/} into {@code damaged/<id>-<time>} with one
     * rename: from then on no read sees it. Call it holding {@link #locked}.
     */
    Path setAside(String id) throws IOException {
        Path target = root.resolve(DataStore.DAMAGED).resolve(id + "-"
                + clock.instant().toString().replace(":", ""));
        Files.createDirectories(target.getParent());
        AtomicFiles.moveAtomically(batchesDir.resolve(id), target);
        AtomicFiles.fsyncDirectory(batchesDir);
        return target;
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
            throw new DataException(org.mnistpipeline.io.DiskProblems.describe(e, "data store " + root)
                    .orElse("data store " + root + ": " + e.getMessage()
                            + "; check that the directory is writable and has free space"), e);
        }
    }
}
