package org.mnistpipeline.pipeline;

import java.time.Duration;
import org.mnistpipeline.pipeline.ingest.DataStore;
import org.mnistpipeline.pipeline.ingest.IngestStore;
import org.mnistpipeline.pipeline.ingest.ObjectDataStore;
import org.mnistpipeline.store.HomeStores;

/**
 * The pipeline's stores of a home, for every entry point alike ({@code mnist data}, {@code mnist
 * retrain}, {@code mnist retrain step NAME}, a step-runner function): the data store
 * ({@code <home>/datastore}) and the pipeline's own home ({@code <home>/pipeline}), on disk or in
 * the object store as {@code MNIST_HOME} says.
 */
public final class PipelineStores {
    private final HomeStores home;

    public PipelineStores(HomeStores home) {
        this.home = home;
    }

    public HomeStores home() {
        return home;
    }

    /** The ingested-data store. */
    public IngestStore dataStore() {
        return home.shared() ? new ObjectDataStore(home.storage(), home.prefix("datastore"), home.scratch("datastore-mirror"))
                : new DataStore(home.locations().dataStore());
    }

    /** The data store as the pipeline's steps read it. */
    public BatchStore batches() {
        return new DataStoreBatches(dataStore());
    }

    /** Runs, lock, notifications and hand-overs between steps. */
    public PipelineHome pipeline() {
        return home.shared()
                ? PipelineHome.objects(home.storage(), home.prefix("pipeline"), home.locations().sharedHome(),
                        home.scratch("pipeline"),
                        ObjectPipelineLock.DEFAULT_TTL)
                : PipelineHome.local(home.locations().pipeline());
    }

    /** Drift over the last {@code window} of the server's summaries, as the decide step asks. */
    public DriftCheck drift(Duration window, double threshold) {
        return DriftCheck.fromSummaries(home.summaries(), window, threshold);
    }
}
