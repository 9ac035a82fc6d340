package org.mnistpipeline.server;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.model.ModelManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded, warmed model and what {@code /models} says about it, reference counted so a hot
 * reload can retire it while requests still use it: the slot holds one reference, every request
 * one more, and the predictor is closed when the last is released. Closing a native session under
 * a running request would crash the JVM, not just fail the request.
 */
final class ServedModel {
    private static final Logger LOG = LoggerFactory.getLogger(ServedModel.class);

    private final Predictor predictor;
    private final Optional<ModelManifest> manifest;
    private final String source;
    private final Instant loadedAt;
    private final long warmUpMillis;
    // > 0 while usable; the slot's own reference is the first. Reaching 0 closes, and then no
    // reference can be taken again.
    private final AtomicInteger references = new AtomicInteger(1);

    ServedModel(Predictor predictor, Optional<ModelManifest> manifest, String source, Instant loadedAt,
            long warmUpMillis) {
        this.predictor = predictor;
        this.manifest = manifest;
        this.source = source;
        this.loadedAt = loadedAt;
        this.warmUpMillis = warmUpMillis;
    }

    Predictor predictor() {
        return predictor;
    }

    String version() {
        return predictor.modelVersion();
    }

    Optional<ModelManifest> manifest() {
        return manifest;
    }

    String source() {
        return source;
    }

    Instant loadedAt() {
        return loadedAt;
    }

    long warmUpMillis() {
        return warmUpMillis;
    }

    /** Takes a reference unless the model was already released for good. */
    boolean tryRetain() {
        int count;
        do {
            count = references.get();
            if (count <= 0) {
                return false;
            }
        } while (!references.compareAndSet(count, count + 1));
        return true;
    }

    /** Drops a reference; the last one closes the predictor. */
    void release() {
        int left = references.decrementAndGet();
        if (left == 0) {
            LOG.info("closing model {} (no requests left on it)", version());
            try {
                predictor.close();
            } catch (RuntimeException e) {
                LOG.warn("closing model {} failed: {}", version(), e.toString());
            }
        } else if (left < 0) {
            throw new IllegalStateException("model " + version() + " released more often than retained");
        }
    }
}
