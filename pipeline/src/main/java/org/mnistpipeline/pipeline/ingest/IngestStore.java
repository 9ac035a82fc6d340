package org.mnistpipeline.pipeline.ingest;

import java.nio.file.Path;
import java.util.List;
import org.mnistpipeline.data.LabeledImages;

/**
 * A data store as {@code mnist data} and the pipeline use it, wherever it lives: a directory
 * ({@link DataStore}) or an object prefix ({@link ObjectDataStore}). Both validate with the same
 * rules and store the same immutable, content-addressed batches.
 */
public interface IngestStore {

    /**
     * Validates every record of {@code source}, stores the accepted ones as a new batch and keeps
     * the refused ones in the quarantine; the same content again is a no-op. Throws
     * {@link IngestException} when no record is acceptable.
     */
    IngestResult ingest(Path source);

    /** Stored batches, oldest (lowest sequence) first. */
    List<BatchManifest> batches();

    /** The accepted images of a batch, verified against the digests in its manifest. */
    LabeledImages load(String batchId);

    /** Where the store is, for messages: a directory or an {@code s3://} prefix. */
    String location();
}
