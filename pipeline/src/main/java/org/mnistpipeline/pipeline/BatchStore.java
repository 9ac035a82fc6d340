package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.mnistpipeline.data.LabeledImages;

/** What the pipeline needs from the data store: ingest sources, list batches, read one back. */
public interface BatchStore {

    /** Ingests one source directory; ingesting the same content again returns the stored batch. */
    StoredBatch ingest(Path source);

    /** Every stored batch, oldest first. */
    List<StoredBatch> batches();

    /** The accepted images of a batch, verified against their checksums. */
    LabeledImages load(String batchId);

    /**
     * A stored batch of accepted records.
     *
     * @param quarantined records of the source that were refused, each with a reason in the store
     * @param alreadyIngested true when {@link #ingest} found this content already stored
     */
    record StoredBatch(String id, int sequence, String source, int accepted, int quarantined,
            boolean alreadyIngested) {}
}
