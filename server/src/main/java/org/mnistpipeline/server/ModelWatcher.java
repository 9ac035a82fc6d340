package org.mnistpipeline.server;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.mnistpipeline.inference.LoadedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the first model and then polls the {@link ModelSource} for new ones. A new model is
 * loaded and warmed completely before it is swapped in, so requests never wait for a load and
 * never see a half-ready model; the old one is closed by its last request (see {@link ServedModel}).
 * A model that fails to load is logged and left alone until its files change; the served model
 * keeps serving meanwhile.
 */
final class ModelWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelWatcher.class);

    private final ModelSource source;
    private final Function<LoadedModel, ServedModel> builder;
    private final ModelSlot slot;
    private final Duration interval;
    private final Consumer<String> onSwap;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("mnist-model-watcher").factory());
    private String loadedFingerprint;
    private String failedFingerprint;
    private String lastProblem;
    private boolean closed;

    /**
     * @param onSwap   called after each swap with the version replaced (null for the first model)
     * @param interval how often to poll; zero loads the first model (retrying until it succeeds)
     *                 and then stops watching
     */
    ModelWatcher(ModelSource source, Function<LoadedModel, ServedModel> builder, ModelSlot slot, Duration interval,
            Consumer<String> onSwap) {
        this.source = source;
        this.builder = builder;
        this.slot = slot;
        this.interval = interval;
        this.onSwap = onSwap;
    }

    void start() {
        long periodMillis = (interval.isZero() ? ServerConfig.DEFAULT_RELOAD_INTERVAL : interval).toMillis();
        executor.scheduleWithFixedDelay(this::pollQuietly, 0, Math.max(1, periodMillis), TimeUnit.MILLISECONDS);
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (Throwable e) { // a scheduled task that throws is never run again
            LOG.error("model watcher failed", e);
        }
    }

    /** Checks the source once and swaps in a new model if there is one; true when it swapped. */
    synchronized boolean poll() {
        if (closed || (interval.isZero() && loadedFingerprint != null)) {
            return false;
        }
        String fingerprint = null;
        try {
            fingerprint = source.fingerprint();
            if (fingerprint.equals(loadedFingerprint) || fingerprint.equals(failedFingerprint)) {
                return false;
            }
            long start = System.nanoTime();
            LoadedModel loaded = source.load();
            ServedModel model = builder.apply(loaded);
            String previous = slot.peek().map(ServedModel::version).orElse(null);
            slot.swap(model);
            loadedFingerprint = fingerprint;
            failedFingerprint = null;
            lastProblem = null;
            LOG.info("serving model {} from {}{} (loaded and warmed in {} ms)", model.version(), source.describe(),
                    previous == null ? "" : ", replacing " + previous,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            onSwap.accept(previous);
            return true;
        } catch (RuntimeException e) {
            if (fingerprint != null) {
                failedFingerprint = fingerprint; // retried once the files change
            }
            if (!Objects.equals(lastProblem, e.getMessage())) {
                lastProblem = e.getMessage();
                boolean serving = slot.peek().isPresent();
                LOG.warn("cannot load a model from {}: {}{}", source.describe(), e.getMessage(),
                        serving ? "; still serving " + slot.peek().get().version() : "; /ping answers 503 until one loads");
                LOG.debug("model load failure", e);
            }
            return false;
        }
    }

    /** Stops polling, waiting for a load in progress so that it cannot swap into a closed slot. */
    @Override
    public void close() {
        executor.shutdown();
        synchronized (this) {
            closed = true;
        }
        try {
            executor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
