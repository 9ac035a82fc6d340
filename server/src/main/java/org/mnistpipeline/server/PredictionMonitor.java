package org.mnistpipeline.server;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mnistpipeline.inference.ForwardingPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.monitor.PredictionSummary;
import org.mnistpipeline.monitor.SummaryAccumulator;
import org.mnistpipeline.monitor.SummaryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drift monitoring on the server: a sample of served predictions is counted into one
 * {@link SummaryAccumulator} per model version, and every window the counts are written as a
 * {@link PredictionSummary} under {@code <dir>/<version>/}, for {@code mnist monitor}. Only
 * aggregates leave memory, never an image or a single prediction.
 *
 * <p>The request path stays lock-free: a random draw, one pass over the image and a few
 * {@code LongAdder} increments, on the request's own thread (outside the batcher, whose single
 * collector thread must not do extra work). Writing files happens on a separate scheduler thread;
 * a failure to write is logged and counted and never reaches a request.
 */
final class PredictionMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PredictionMonitor.class);

    private final ServerConfig.Monitoring config;
    private final SummaryStore store;
    private final Metrics metrics;
    private final Clock clock;
    /** Names this process's files, so servers sharing a directory never overwrite each other. */
    private final String instance;
    private final Map<String, SummaryAccumulator> byVersion = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean recordFailureLogged = new AtomicBoolean();
    private final Object flushLock = new Object(); // between the scheduler and close(), never requests
    private Instant windowStart;

    PredictionMonitor(ServerConfig.Monitoring config, Metrics metrics, Clock clock) {
        this.config = config;
        this.store = config.store();
        this.metrics = metrics;
        this.clock = clock;
        this.instance = "p" + ProcessHandle.current().pid() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        this.windowStart = clock.instant();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("mnist-monitor").factory());
        long millis = config.flushInterval().toMillis();
        scheduler.scheduleAtFixedRate(this::flushQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** {@code predictor} with its predictions sampled into this monitor; closing it closes {@code predictor}. */
    Predictor wrap(Predictor predictor) {
        SummaryAccumulator accumulator = byVersion.computeIfAbsent(predictor.modelVersion(),
                v -> SummaryAccumulator.mnist());
        return new Monitored(predictor, accumulator);
    }

    /** Writes the window that ends now, one file per model with predictions in it. */
    void flush() {
        synchronized (flushLock) {
            Instant end = clock.instant();
            for (var entry : byVersion.entrySet()) {
                PredictionSummary summary = entry.getValue().drain(entry.getKey(), windowStart, end);
                if (summary.samples() == 0) {
                    continue; // no traffic, no file
                }
                try {
                    store.write(summary, instance);
                    metrics.monitorWindowWritten();
                } catch (RuntimeException e) {
                    metrics.monitorWriteFailed();
                    LOG.warn("could not write the monitoring summary of model {} ({} predictions) to {}: {}",
                            entry.getKey(), summary.samples(), store.location(), e.getMessage());
                }
            }
            windowStart = end;
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warn("monitoring flush failed: {}", e.toString()); // a thrown task would stop the schedule
        }
    }

    /** Stops the schedule and writes the last, partial window. */
    @Override
    public void close() {
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushQuietly();
    }

    private void record(SummaryAccumulator accumulator, List<float[]> images, List<Prediction> predictions) {
        double rate = config.sampleRate();
        int sampled = 0;
        try {
            for (int i = 0; i < predictions.size(); i++) {
                if (rate >= 1 || ThreadLocalRandom.current().nextDouble() < rate) {
                    Prediction p = predictions.get(i);
                    accumulator.record(images.get(i), p.label(), p.confidence());
                    sampled++;
                }
            }
        } catch (RuntimeException e) {
            // Monitoring must never fail a prediction; say so once rather than per request.
            if (recordFailureLogged.compareAndSet(false, true)) {
                LOG.warn("monitoring could not record a prediction ({}); later failures are not logged", e.toString());
            }
        }
        metrics.monitorSampled(sampled);
    }

    private final class Monitored extends ForwardingPredictor {
        private final SummaryAccumulator accumulator;

        Monitored(Predictor delegate, SummaryAccumulator accumulator) {
            super(delegate);
            this.accumulator = accumulator;
        }

        @Override
        public Prediction predict(float[] image) {
            Prediction prediction = delegate.predict(image);
            record(accumulator, List.of(image), List.of(prediction));
            return prediction;
        }

        @Override
        public List<Prediction> predictBatch(List<float[]> images) {
            List<Prediction> predictions = delegate.predictBatch(images);
            record(accumulator, images, predictions);
            return predictions;
        }
    }
}
