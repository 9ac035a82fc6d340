package org.mnistpipeline.pipeline.steps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.pipeline.BatchStore.StoredBatch;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RunFiles;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.ingest.IngestException;
import org.mnistpipeline.store.ObjectPath;

/** Stores the request's sources (and every batch in its inbox) in the data store; repeats are no-ops. */
public final class IngestStep implements Step<IngestStep.Input, IngestStep.Output> {

    public record Input(RetrainRequest request) {}

    /**
     * @param newImages images accepted from content not seen before
     * @param refused   sources with nothing acceptable in them, each with the reason; their records
     *                  are quarantined in the store, and the other sources go ahead
     */
    public record Output(List<StoredBatch> batches, int newImages, int quarantined, List<String> refused) {}

    @Override
    public String name() {
        return "ingest";
    }

    @Override
    public Output run(Input input, StepContext context) {
        // Sources and inbox batches may be local directories or, with MNIST_HOME in S3, s3:// prefixes,
        // which are downloaded into the run's scratch space first.
        List<String> locations = new ArrayList<>(input.request().sources());
        if (input.request().inbox() != null) {
            locations.addAll(context.files().inboxBatches(input.request().inbox()));
        }
        List<Path> sources = new ArrayList<>();
        for (String location : locations) {
            Path source = context.files().fetch(location);
            if (ObjectPath.isUri(location)) { // a downloaded copy, marker included
                try {
                    Files.deleteIfExists(source.resolve(RunFiles.READY)); // the marker is not a record
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove the inbox marker from " + source, e);
                }
            }
            sources.add(source);
        }
        List<StoredBatch> batches = new ArrayList<>();
        int newImages = 0;
        int quarantined = 0;
        List<String> refused = new ArrayList<>();
        for (Path source : sources) {
            if (!Files.isDirectory(source)) {
                throw new DataException("batch source " + source + " is not a directory");
            }
            StoredBatch batch;
            try {
                batch = context.store().ingest(source);
            } catch (IngestException e) {
                context.log().accept("ingest: " + source + " refused: " + e.getMessage());
                refused.add(source + ": " + e.getMessage());
                continue;
            }
            context.log().accept(String.format("ingest: %s -> batch %s (%d accepted, %d quarantined%s)", source,
                    batch.id(), batch.accepted(), batch.quarantined(), batch.alreadyIngested() ? ", already stored" : ""));
            batches.add(batch);
            if (!batch.alreadyIngested()) {
                newImages += batch.accepted();
                quarantined += batch.quarantined();
            }
        }
        return new Output(batches, newImages, quarantined, refused);
    }
}
