package org.mnistpipeline.pipeline.ingest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.DirectoryLock;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.pipeline.ingest.Rejection.Kind;

/**
 * Labelled training data, ingested batch by batch, validated, and kept immutable:
 *
 * <pre>
 * root/.lock                        serialises writers (threads and processes)
 * root/batches/&lt;id&gt;/                one accepted batch, files read-only:
 *     images-idx3-ubyte             N×28×28, 0 = paper, 255 = ink (MNIST convention)
 *     labels-idx1-ubyte             N labels 0–9
 *     signatures-idx3-ubyte         N near-duplicate signatures (see {@link NearDuplicates})
 *     records.tsv                   per record: SHA-256 of its source bytes, label, source name
 *     quarantine.jsonl              per refused record: record, kind, reason, where its bytes are
 *     manifest.json                 {@link BatchManifest}, with the SHA-256 of every file above
 * root/quarantine/&lt;id&gt;/             the original bytes of every refused record
 * root/.staging-*                   work in progress, never read; removed by the next ingest
 * </pre>
 *
 * A batch is built in a staging directory and appears through one atomic rename, so a crash
 * leaves either no batch or a whole one. The id comes from the content (see {@link BatchManifest#id}),
 * which makes re-ingesting a batch a no-op. Duplicates are found against the batch itself and every
 * stored batch (their {@code records.tsv} and signatures are the index). Readers take no lock.
 */
public final class DataStore {
    static final String IMAGES = "images-idx3-ubyte";
    static final String LABELS = "labels-idx1-ubyte";
    static final String SIGNATURES = "signatures-idx3-ubyte";
    static final String RECORDS = "records.tsv";
    static final String QUARANTINE = "quarantine.jsonl";
    static final String MANIFEST = "manifest.json";
    static final int CLASSES = 10;
    /** Files larger than this are refused unread (a 40-megapixel photo is well under it). */
    static final long MAX_FILE_BYTES = 64L << 20;

    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private static final int PIXELS = 28 * 28;

    private final Path root;
    private final Path batchesDir;
    private final Path quarantineDir;
    private final Clock clock;
    private final ImagePreprocessor preprocessor;
    private final Consumer<String> crashPoint;
    private final DirectoryLock lock;

    public DataStore(Path root) {
        // The server's own pixel limit: what it would answer, ingestion can learn from.
        this(root, Clock.systemUTC(), new ImagePreprocessor(), step -> { });
    }

    /** {@code crashPoint} is told each durable step ("staged", "quarantined"); tests throw from it. */
    DataStore(Path root, Clock clock, ImagePreprocessor preprocessor, Consumer<String> crashPoint) {
        this.root = root.toAbsolutePath().normalize();
        this.lock = new DirectoryLock(this.root);
        this.batchesDir = this.root.resolve("batches");
        this.quarantineDir = this.root.resolve("quarantine");
        this.clock = clock;
        this.preprocessor = preprocessor;
        this.crashPoint = crashPoint;
    }

    public Path root() {
        return root;
    }

    // ---------------------------------------------------------------- reading

    /** Stored batches, oldest (lowest sequence) first. */
    public List<BatchManifest> batches() {
        if (!Files.isDirectory(batchesDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(batchesDir)) {
            return dirs.filter(d -> ID.matcher(d.getFileName().toString()).matches())
                    .map(d -> readManifest(d.getFileName().toString()))
                    .sorted(Comparator.comparingInt(BatchManifest::sequence))
                    .toList();
        } catch (IOException e) {
            throw new DataException("cannot list " + batchesDir + ": " + e.getMessage(), e);
        }
    }

    /** The newest batch (highest data version), if any. */
    public Optional<BatchManifest> latest() {
        List<BatchManifest> all = batches();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * Identity of everything stored: one digest per batch (its {@code sha256}), keyed by data
     * version ({@code v1}, {@code v2}, …). Changes exactly when a batch is added; a model trained
     * on {@link #loadAll()} can record it as its data provenance.
     */
    public DataFingerprint fingerprint() {
        Map<String, String> digests = new TreeMap<>();
        for (BatchManifest m : batches()) {
            digests.put(String.format(java.util.Locale.ROOT, "v%06d-%s", m.sequence(), m.id()), m.sha256());
        }
        return DataFingerprint.of(digests);
    }

    public Optional<BatchManifest> batch(String id) {
        if (id == null || !ID.matcher(id).matches() || !Files.isDirectory(batchesDir.resolve(id))) {
            return Optional.empty();
        }
        return Optional.of(readManifest(id));
    }

    /**
     * The images and labels of one batch, after checking every stored file against the SHA-256
     * in its manifest. Throws {@link DataException} naming the damaged file.
     */
    public LabeledImages load(String batchId) {
        BatchManifest manifest = batch(batchId)
                .orElseThrow(() -> new DataException("no batch " + batchId + " in data store " + root
                        + "; `mnist data batches` lists them"));
        Path dir = batchesDir.resolve(batchId);
        verify(manifest, dir);
        Idx.IdxArray images = Idx.read(dir.resolve(IMAGES));
        Idx.IdxArray labels = Idx.read(dir.resolve(LABELS));
        LabeledImages data = LabeledImages.of(images, labels, "batch " + batchId);
        return new LabeledImages(data.pixels(), data.labels(), data.rows(), data.cols(), CLASSES);
    }

    /** Every stored batch, oldest first, as one set (each verified as in {@link #load}). */
    public LabeledImages loadAll() {
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        ByteArrayOutputStream labels = new ByteArrayOutputStream();
        for (BatchManifest m : batches()) {
            LabeledImages batch = load(m.id());
            pixels.writeBytes(batch.pixels());
            labels.writeBytes(batch.labels());
        }
        return new LabeledImages(pixels.toByteArray(), labels.toByteArray(), 28, 28, CLASSES);
    }

    private void verify(BatchManifest manifest, Path dir) {
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

    private BatchManifest readManifest(String id) {
        Path file = batchesDir.resolve(id).resolve(MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw new DataException("batch " + id + " in " + root + " has no " + MANIFEST + "; restore it from a backup");
        }
        BatchManifest m;
        try {
            m = Json.read(file, BatchManifest.class);
        } catch (RuntimeException e) {
            throw new DataException("batch " + id + ": " + MANIFEST + " is unreadable: " + e.getMessage(), e);
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

    // ---------------------------------------------------------------- ingesting

    /** A record that passed every check so far. */
    private record Accepted(String name, int label, byte[] pixels, String sha256, byte[] signature, Path file,
            byte[] rawBytes) {}

    /** A refused record and the bytes to keep for it (null when there are none, e.g. a CSV row). */
    private record Refused(Rejection rejection, Path file, byte[] bytes, String sha256) {}

    /** Where an earlier record lives, for messages and label comparison. */
    private record Ref(String batch, String name, int label, Accepted accepted) {
        String describe() {
            return (batch == null ? name : name + " in batch " + batch) + " (label " + label + ")";
        }
    }

    /**
     * Validates every record of {@code source}, stores the accepted ones as a new batch and keeps
     * the refused ones in the quarantine. Throws {@link IngestException} when no record is
     * acceptable, {@link DataException} when the source cannot be read at all.
     */
    public IngestResult ingest(Path source) {
        Path src = source.toAbsolutePath().normalize();
        SourceReader.Listing listing = SourceReader.read(src);
        List<Refused> refused = new ArrayList<>();
        for (SourceReader.Early early : listing.rejected()) {
            refused.add(new Refused(early.rejection(), early.file(), null, null));
        }

        // Pass 1, outside the lock: each record on its own and against the rest of the batch.
        List<Accepted> accepted = new ArrayList<>();
        Map<String, Ref> byHash = new HashMap<>();
        NearDuplicates<Ref> near = new NearDuplicates<>();
        List<Accepted> conflicted = new ArrayList<>();
        for (SourceReader.Candidate c : listing.candidates()) {
            validate(c, accepted, byHash, near, refused, conflicted);
        }
        accepted.removeAll(conflicted);
        String id = batchId(accepted, refused);

        return locked(() -> {
            cleanStaging();
            Path published = batchesDir.resolve(id);
            if (!accepted.isEmpty() && Files.isDirectory(published)) {
                BatchManifest existing = readManifest(id);
                return new IngestResult(existing, true, readQuarantine(published));
            }
            // Pass 2, under the lock: against every stored batch.
            List<Accepted> fresh = againstStore(accepted, refused);
            refused.sort(Comparator.comparing(r -> r.rejection().record()));
            List<Rejection> rejections = refused.stream().map(Refused::rejection).toList();
            if (fresh.isEmpty()) {
                String key = "rejected-" + sourceDigest(refused);
                Path kept = quarantineDir.resolve(key);
                if (!Files.isDirectory(kept)) {
                    publishQuarantine(key, refused);
                }
                throw new IngestException("nothing to store from " + source + ": all " + refused.size()
                        + " records were refused (" + summary(rejections) + "); their files are in " + kept, rejections);
            }
            return new IngestResult(publish(id, src, listing.format(), fresh, refused), false, rejections);
        });
    }

    private void validate(SourceReader.Candidate c, List<Accepted> accepted, Map<String, Ref> byHash,
            NearDuplicates<Ref> near, List<Refused> refused, List<Accepted> conflicted) {
        byte[] bytes;
        if (c.idxPixels() != null) {
            bytes = c.idxPixels();
        } else {
            try {
                long size = Files.size(c.file());
                if (size > MAX_FILE_BYTES) {
                    refused.add(new Refused(new Rejection(c.name(), String.format(java.util.Locale.ROOT,
                            "file is %.1f MB; the limit is %d MB", size / 1e6, MAX_FILE_BYTES >> 20), Kind.TOO_LARGE),
                            c.file(), null, null));
                    return;
                }
                bytes = Files.readAllBytes(c.file());
            } catch (IOException e) {
                refused.add(new Refused(new Rejection(c.name(), "cannot be read: " + e.getMessage(), Kind.UNDECODABLE),
                        c.file(), null, null));
                return;
            }
        }
        String sha = Sha256.of(bytes);
        Integer label = parseLabel(c.labelText());
        if (label == null) {
            refused.add(new Refused(new Rejection(c.name(), c.labelOrigin() + " '" + c.labelText()
                    + "' is not a label: expected an integer 0-9", Kind.BAD_LABEL), c.file(), bytes, sha));
            return;
        }
        Ref same = byHash.get(sha);
        if (same != null) {
            refused.add(new Refused(duplicate(c.name(), label, same, "byte-identical to", Kind.DUPLICATE),
                    c.file(), bytes, sha));
            conflict(c.name(), label, same, conflicted, refused);
            return;
        }
        byte[] pixels;
        byte[] signature;
        if (c.idxPixels() != null) {
            pixels = bytes;
            if (inkPixels(pixels) < 4) {
                refused.add(new Refused(new Rejection(c.name(), "image has no ink (fewer than 4 pixels' worth);"
                        + " it holds no digit", Kind.BLANK), null, bytes, sha));
                return;
            }
            int border = borderMedian(pixels);
            if (border > 127) {
                // IDX records are stored as they are, so they must already be ink (255) on black paper (0).
                refused.add(new Refused(new Rejection(c.name(), "the border is bright (median " + border
                        + "): IDX images must be white ink on black (0 = paper, 255 = ink); invert the file",
                        Kind.INVERTED), null, bytes, sha));
                return;
            }
            signature = NearDuplicates.signatureOfMnist(pixels);
        } else {
            try {
                BufferedImage image = preprocessor.decode(bytes);
                pixels = toBytes(preprocessor.preprocess(image));
                signature = NearDuplicates.signature(image);
            } catch (RequestException e) {
                Kind kind = switch (e.kind()) {
                    case TOO_LARGE -> Kind.TOO_LARGE;
                    case BAD_INPUT -> e.getMessage().contains("no ink") ? Kind.BLANK : Kind.UNDECODABLE;
                    default -> Kind.UNDECODABLE;
                };
                refused.add(new Refused(new Rejection(c.name(), e.getMessage(), kind), c.file(), bytes, sha));
                return;
            }
        }
        Accepted a = new Accepted(c.name(), label, pixels, sha, signature, c.file(), bytes);
        Optional<NearDuplicates.Match<Ref>> match = near.find(NearDuplicates.entry(signature, null));
        if (match.isPresent()) {
            Ref other = match.get().owner();
            String how = String.format(java.util.Locale.ROOT, "the same picture (similarity %.3f) as",
                    match.get().similarity());
            refused.add(new Refused(duplicate(c.name(), label, other, how, Kind.NEAR_DUPLICATE), c.file(), bytes, sha));
            conflict(c.name(), label, other, conflicted, refused);
            return;
        }
        Ref ref = new Ref(null, c.name(), label, a);
        byHash.put(sha, ref);
        near.add(NearDuplicates.entry(signature, ref));
        accepted.add(a);
    }

    private static Rejection duplicate(String name, int label, Ref other, String how, Kind sameLabelKind) {
        if (other.label() != label) {
            return new Rejection(name, "labelled " + label + " but " + how + " " + other.describe()
                    + "; conflicting labels", Kind.CONFLICTING_DUPLICATE);
        }
        return new Rejection(name, how + " " + other.describe(), sameLabelKind);
    }

    /** Within a batch, a conflict discredits the earlier copy too: which label is right is unknown. */
    private static void conflict(String later, int label, Ref earlier, List<Accepted> conflicted,
            List<Refused> refused) {
        Accepted a = earlier.accepted();
        if (a == null || a.label() == label || conflicted.contains(a)) {
            return;
        }
        conflicted.add(a);
        refused.add(new Refused(new Rejection(a.name(), "labelled " + a.label()
                + " but " + later + " in this batch shows the same picture with label " + label
                + "; conflicting labels", Kind.CONFLICTING_DUPLICATE), a.file(), a.rawBytes(), a.sha256()));
    }

    /** Drops (into {@code refused}) the records already stored in an earlier batch. */
    private List<Accepted> againstStore(List<Accepted> accepted, List<Refused> refused) throws IOException {
        Map<String, Ref> byHash = new HashMap<>();
        NearDuplicates<Ref> near = new NearDuplicates<>();
        for (BatchManifest m : batches()) {
            Path dir = batchesDir.resolve(m.id());
            verify(m, dir); // a damaged index would let duplicates through unnoticed
            List<String> lines = Files.readAllLines(dir.resolve(RECORDS), StandardCharsets.UTF_8);
            Idx.IdxArray signatures = Idx.read(dir.resolve(SIGNATURES));
            for (int i = 0; i < lines.size(); i++) {
                String[] f = lines.get(i).split("\t", 3);
                Ref ref = new Ref(m.id(), f[2], Integer.parseInt(f[1]), null);
                byHash.putIfAbsent(f[0], ref);
                near.add(NearDuplicates.entry(
                        Arrays.copyOfRange(signatures.data(), i * PIXELS, (i + 1) * PIXELS), ref));
            }
        }
        List<Accepted> fresh = new ArrayList<>();
        for (Accepted a : accepted) {
            Ref same = byHash.get(a.sha256());
            if (same != null) {
                refused.add(new Refused(duplicate(a.name(), a.label(), same, "byte-identical to", Kind.DUPLICATE),
                        a.file(), a.rawBytes(), a.sha256()));
                continue;
            }
            Optional<NearDuplicates.Match<Ref>> match = near.find(NearDuplicates.entry(a.signature(), null));
            if (match.isPresent()) {
                String how = String.format(java.util.Locale.ROOT, "the same picture (similarity %.3f) as",
                        match.get().similarity());
                refused.add(new Refused(duplicate(a.name(), a.label(), match.get().owner(), how,
                        Kind.NEAR_DUPLICATE), a.file(), a.rawBytes(), a.sha256()));
                continue;
            }
            fresh.add(a);
        }
        return fresh;
    }

    private BatchManifest publish(String id, Path source, String format, List<Accepted> fresh, List<Refused> refused)
            throws IOException {
        Files.createDirectories(batchesDir);
        Path staging = Files.createTempDirectory(root, ".staging-" + id + "-");
        int n = fresh.size();
        byte[] images = new byte[n * PIXELS];
        byte[] labels = new byte[n];
        byte[] signatures = new byte[n * PIXELS];
        int[] classCounts = new int[CLASSES];
        StringBuilder records = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Accepted a = fresh.get(i);
            System.arraycopy(a.pixels(), 0, images, i * PIXELS, PIXELS);
            System.arraycopy(a.signature(), 0, signatures, i * PIXELS, PIXELS);
            labels[i] = (byte) a.label();
            classCounts[a.label()]++;
            records.append(a.sha256()).append('\t').append(a.label()).append('\t')
                    .append(a.name().replace('\t', ' ').replace('\n', ' ')).append('\n');
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(IMAGES, Idx.encode(images, n, 28, 28));
        files.put(LABELS, Idx.encode(labels, n));
        files.put(SIGNATURES, Idx.encode(signatures, n, 28, 28));
        files.put(RECORDS, records.toString().getBytes(StandardCharsets.UTF_8));
        files.put(QUARANTINE, quarantineLines(id, refused).getBytes(StandardCharsets.UTF_8));
        Map<String, String> digests = new TreeMap<>();
        for (var f : files.entrySet()) {
            AtomicFiles.write(staging.resolve(f.getKey()), f.getValue());
            digests.put(f.getKey(), Sha256.of(f.getValue()));
        }
        DataFingerprint fingerprint = DataFingerprint.of(digests);
        Map<String, Integer> byKind = new TreeMap<>();
        refused.forEach(r -> byKind.merge(r.rejection().kind().name(), 1, Integer::sum));
        int sequence = batches().stream().mapToInt(BatchManifest::sequence).max().orElse(0) + 1;
        BatchManifest manifest = new BatchManifest(BatchManifest.FORMAT_VERSION, id, sequence, source.toString(),
                clock.instant().toString(), format, n, refused.size(), classCounts, byKind, fingerprint.sha256(),
                fingerprint);
        Json.writeAtomically(staging.resolve(MANIFEST), manifest);
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
    private void publishQuarantine(String key, List<Refused> refused) throws IOException {
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
        AtomicFiles.writeString(staging.resolve(QUARANTINE), lines.toString());
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

    private static List<Rejection> readQuarantine(Path batchDir) throws IOException {
        List<Rejection> out = new ArrayList<>();
        for (String line : Files.readAllLines(batchDir.resolve(QUARANTINE), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = Json.parse(line, Map.class);
                out.add(new Rejection((String) m.get("record"), (String) m.get("reason"),
                        Kind.valueOf((String) m.get("kind"))));
            }
        }
        return out;
    }

    static String summary(List<Rejection> rejections) {
        Map<Kind, Integer> counts = new TreeMap<>();
        rejections.forEach(r -> counts.merge(r.kind(), 1, Integer::sum));
        StringBuilder s = new StringBuilder();
        counts.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(v).append(' ')
                .append(k.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')));
        return s.toString();
    }

    private static Integer parseLabel(String text) {
        String t = text == null ? "" : text.strip();
        if (!t.matches("[0-9]{1,3}")) {
            return null;
        }
        int v = Integer.parseInt(t);
        return v < CLASSES ? v : null;
    }

    private static int inkPixels(byte[] pixels) {
        long sum = 0;
        for (byte p : pixels) {
            sum += p & 0xff;
        }
        return (int) (sum / 255);
    }

    private static int borderMedian(byte[] pixels) {
        int[] border = new int[4 * 28 - 4];
        int n = 0;
        for (int i = 0; i < 28; i++) {
            border[n++] = pixels[i] & 0xff;
            border[n++] = pixels[27 * 28 + i] & 0xff;
            if (i > 0 && i < 27) {
                border[n++] = pixels[i * 28] & 0xff;
                border[n++] = pixels[i * 28 + 27] & 0xff;
            }
        }
        Arrays.sort(border);
        return border[n / 2];
    }

    private static byte[] toBytes(float[] values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) Math.round(Math.max(0f, Math.min(1f, values[i])) * 255);
        }
        return out;
    }

    /**
     * Content address of a batch as read from its source, before it is compared with the store:
     * the label and pixels of each accepted record, in order, and the name, rule and content of
     * each refused one. The same batch gets the same id wherever it is read from; a batch that
     * differs only in a refused file is another batch, so that file is quarantined, not ignored.
     */
    private static String batchId(List<Accepted> accepted, List<Refused> refused) {
        var digest = Sha256.newDigest();
        for (Accepted a : accepted) {
            digest.update((byte) a.label());
            digest.update(a.pixels());
        }
        List<String> refusedLines = new ArrayList<>();
        for (Refused r : refused) {
            String content = r.sha256() != null ? r.sha256() : r.file() != null ? "size " + r.file().toFile().length() : "";
            refusedLines.add(r.rejection().record() + "\t" + r.rejection().kind() + "\t" + content + "\n");
        }
        refusedLines.sort(null);
        refusedLines.forEach(line -> digest.update(line.getBytes(StandardCharsets.UTF_8)));
        return Sha256.hex(digest).substring(0, 16);
    }

    private static String sourceDigest(List<Refused> refused) {
        var digest = Sha256.newDigest();
        for (Refused r : refused) {
            digest.update((r.rejection().record() + "\t" + r.sha256() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return Sha256.hex(digest).substring(0, 16);
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
    private void cleanStaging() throws IOException {
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
    private <T> T locked(DirectoryLock.Work<T> work) {
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
