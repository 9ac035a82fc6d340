package org.mnistpipeline.pipeline.ingest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.pipeline.ingest.BatchValidator.Accepted;
import org.mnistpipeline.pipeline.ingest.BatchValidator.Refused;

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
 * Ingesting reads a source ({@link SourceReader}), checks its records on their own and against
 * each other ({@link BatchValidator}), then, under the store's lock, against every stored batch
 * (their {@code records.tsv} and signatures are the index, read by {@link BatchReader}) and
 * publishes the batch and its quarantine ({@link BatchPublisher}: staging directory, one atomic
 * rename). The id comes from the content (see {@link BatchManifest#id}), which makes re-ingesting a
 * batch a no-op. Readers take no lock.
 */
public final class DataStore implements IngestStore {
    static final String IMAGES = "images-idx3-ubyte";
    static final String LABELS = "labels-idx1-ubyte";
    static final String SIGNATURES = "signatures-idx3-ubyte";
    static final String RECORDS = "records.tsv";
    static final String QUARANTINE = "quarantine.jsonl";
    static final String MANIFEST = "manifest.json";
    static final int CLASSES = 10;
    static final int PIXELS = 28 * 28;

    private final Path root;
    private final BatchReader reader;
    private final BatchValidator validator;
    private final BatchPublisher publisher;

    public DataStore(Path root) {
        // The server's own pixel limit: what it would answer, ingestion can learn from.
        this(root, Clock.systemUTC(), new ImagePreprocessor(), step -> { });
    }

    /** {@code crashPoint} is told each durable step ("staged", "quarantined"); tests stop there. */
    DataStore(Path root, Clock clock, ImagePreprocessor preprocessor, Consumer<String> crashPoint) {
        this.root = root.toAbsolutePath().normalize();
        this.reader = new BatchReader(this.root);
        this.validator = new BatchValidator(preprocessor);
        this.publisher = new BatchPublisher(this.root, clock, crashPoint);
    }

    public Path root() {
        return root;
    }

    @Override
    public String location() {
        return root.toString();
    }

    /** Stored batches, oldest (lowest sequence) first. */
    public List<BatchManifest> batches() {
        return reader.batches();
    }

    /** The newest batch (highest data version), if any. */
    public Optional<BatchManifest> latest() {
        return reader.batches().stream().max(Comparator.comparingInt(BatchManifest::sequence));
    }

    /**
     * Identity of everything stored: one digest per batch (its {@code sha256}), keyed by data
     * version ({@code v1}, {@code v2}, …). Changes exactly when a batch is added; a model trained
     * on {@link #loadAll()} can record it as its data provenance.
     */
    public DataFingerprint fingerprint() {
        return reader.fingerprint();
    }

    public Optional<BatchManifest> batch(String id) {
        return reader.batch(id);
    }

    /**
     * The images and labels of one batch, after checking every stored file against the SHA-256
     * in its manifest. Throws {@link DataException} naming the damaged file.
     */
    public LabeledImages load(String batchId) {
        return reader.load(batchId);
    }

    /** Every stored batch, oldest first, as one set (each verified as in {@link #load}). */
    public LabeledImages loadAll() {
        return reader.loadAll();
    }

    /**
     * Validates every record of {@code source}, stores the accepted ones as a new batch and keeps
     * the refused ones in the quarantine. Throws {@link IngestException} when no record is
     * acceptable, {@link DataException} when the source cannot be read at all.
     */
    public IngestResult ingest(Path source) {
        Path src = source.toAbsolutePath().normalize();
        SourceReader.Listing listing = SourceReader.read(src);
        // Pass 1, outside the lock: each record on its own and against the rest of the batch.
        BatchValidator.Result checked = validator.validate(listing);
        String id = checked.batchId();
        List<Accepted> accepted = checked.accepted();
        List<Refused> refused = new java.util.ArrayList<>(checked.refused());
        return publisher.locked(() -> {
            publisher.cleanStaging();
            if (!accepted.isEmpty() && Files.isDirectory(root.resolve("batches").resolve(id))) {
                return new IngestResult(reader.manifest(id), true, reader.quarantine(id));
            }
            // Pass 2, under the lock: against every stored batch.
            List<Accepted> fresh = validator.againstStored(accepted, refused, reader.records());
            refused.sort(Comparator.comparing(r -> r.rejection().record()));
            List<Rejection> rejections = refused.stream().map(Refused::rejection).toList();
            if (fresh.isEmpty()) {
                String key = "rejected-" + BatchValidator.sourceDigest(refused);
                Path kept = publisher.quarantineDir(key);
                if (!Files.isDirectory(kept)) {
                    publisher.publishQuarantine(key, refused);
                }
                throw new IngestException("nothing to store from " + source + ": all " + refused.size()
                        + " records were refused (" + summary(rejections) + "); their files are in " + kept, rejections);
            }
            int sequence = reader.batches().stream().mapToInt(BatchManifest::sequence).max().orElse(0) + 1;
            return new IngestResult(publisher.publish(id, sequence, src, listing.format(), fresh, refused), false,
                    rejections);
        });
    }

    static String summary(List<Rejection> rejections) {
        Map<Rejection.Kind, Integer> counts = new TreeMap<>();
        rejections.forEach(r -> counts.merge(r.kind(), 1, Integer::sum));
        StringBuilder s = new StringBuilder();
        counts.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(v).append(' ')
                .append(k.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')));
        return s.toString();
    }
}
