package org.mnistpipeline.pipeline.ingest;

import java.util.List;

/**
 * What one {@link DataStore#ingest} call did.
 *
 * @param batch           the stored batch (the existing one when {@code alreadyIngested})
 * @param alreadyIngested true when the same accepted content was stored before: nothing was written
 * @param rejected        every record not stored, with its reason (the stored batch's quarantine)
 */
public record IngestResult(BatchManifest batch, boolean alreadyIngested, List<Rejection> rejected) {
    public IngestResult {
        rejected = List.copyOf(rejected);
    }
}
