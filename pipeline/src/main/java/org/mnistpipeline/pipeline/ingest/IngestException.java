package org.mnistpipeline.pipeline.ingest;

import java.util.List;
import org.mnistpipeline.data.DataException;

/**
 * A source with no acceptable record at all. The rejections (and the quarantined bytes under
 * {@code quarantine/<id>/}) say why each record was refused.
 */
public class IngestException extends DataException {
    private final transient List<Rejection> rejected;

    public IngestException(String message, List<Rejection> rejected) {
        super(message);
        this.rejected = List.copyOf(rejected);
    }

    public List<Rejection> rejected() {
        return rejected;
    }
}
