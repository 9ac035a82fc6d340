package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.pipeline.ingest.BatchManifest;
import org.mnistpipeline.pipeline.ingest.DataStore;
import org.mnistpipeline.pipeline.ingest.IngestResult;
import org.mnistpipeline.pipeline.ingest.IngestStore;

/** A data store (a directory or an object prefix) as the pipeline's {@link BatchStore}. */
public final class DataStoreBatches implements BatchStore {
    private final IngestStore store;

    public DataStoreBatches(IngestStore store) {
        this.store = store;
    }

    public static DataStoreBatches at(Path root) {
        return new DataStoreBatches(new DataStore(root));
    }

    @Override
    public StoredBatch ingest(Path source) {
        IngestResult result = store.ingest(source);
        return stored(result.batch(), result.alreadyIngested());
    }

    @Override
    public List<StoredBatch> batches() {
        return store.batches().stream().map(b -> stored(b, true)).toList();
    }

    @Override
    public LabeledImages load(String batchId) {
        return store.load(batchId);
    }

    private static StoredBatch stored(BatchManifest b, boolean alreadyIngested) {
        return new StoredBatch(b.id(), b.sequence(), b.source(), b.accepted(), b.quarantined(), alreadyIngested);
    }
}
