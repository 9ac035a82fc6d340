package org.mnistpipeline.lambda;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.Predictor;

/**
 * The function's one model, loaded once: in init, by {@link InitPhase}'s loading thread through
 * {@link #get} like any request (so a failed init load starts the backoff), or before a SnapStart
 * snapshot by {@link #loadNow}. A failed load is tried again after a
 * backoff (1 s, then doubling up to a minute), by one request at a time: every other request is
 * answered 503 with {@code Retry-After} at once, never made to wait for a load or to start one.
 * So a function whose model is missing answers fast and logs each attempt's failure once, and a
 * fixed deployment heals within the current backoff, without a crash loop.
 */
final class ModelHolder {
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofMinutes(1);

    private final ModelLoader loader;
    private final Function<LoadedModel, Predictor> predictors;
    private final Clock clock;
    private final ReentrantLock loading = new ReentrantLock();
    private volatile Predictor predictor;
    /** Failed loads in a row, and when the next attempt may start (epoch millis; 0 = now). */
    private int failures;
    private volatile long nextAttemptMillis;

    ModelHolder(ModelLoader loader, Function<LoadedModel, Predictor> predictors) {
        this(loader, predictors, Clock.systemUTC());
    }

    /** {@code clock}: wall time, so a SnapStart restore hours after the snapshot counts as the wait it was. */
    ModelHolder(ModelLoader loader, Function<LoadedModel, Predictor> predictors, Clock clock) {
        this.loader = loader;
        this.predictors = predictors;
        this.clock = clock;
    }

    /** The predictor, loading the model if it is time to try; 503 with {@code Retry-After} otherwise. */
    Predictor get() {
        Predictor p = predictor;
        if (p != null) {
            return p;
        }
        long wait = waitMillis();
        if (wait > 0) {
            // Waiting out a backoff: answer at once; the failure was logged when the attempt failed.
            throw new RequestException.RetryLater("the model could not be loaded; retry in " + (wait + 999) / 1000
                    + " s, and see the function log for why", Duration.ofMillis(wait), null);
        }
        if (!loading.tryLock()) {
            throw new RequestException.RetryLater("the model is being loaded; retry in 1 s", FIRST_RETRY, null);
        }
        return loadAndUnlock();
    }

    /** With {@link #loading} held: loads unless another holder of the lock did, then releases it. */
    private Predictor loadAndUnlock() {
        try {
            if (predictor == null) {
                load();
            }
            return predictor;
        } finally {
            loading.unlock();
        }
    }

    /** Milliseconds until the next attempt may start; a clock set back is not waited out beyond the longest backoff. */
    private long waitMillis() {
        long wait = nextAttemptMillis - clock.millis();
        return wait > MAX_RETRY.toMillis() ? 0 : Math.max(0, wait);
    }

    private void load() {
        try {
            predictor = predictors.apply(loader.load());
            failures = 0;
        } catch (RuntimeException e) {
            failures++;
            Duration backoff = FIRST_RETRY.multipliedBy(1L << Math.min(failures - 1, 16));
            backoff = backoff.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : backoff;
            nextAttemptMillis = clock.millis() + backoff.toMillis();
            // 503: the client may retry; the details (paths, checksums) stay in the log, once per attempt.
            throw new RequestException.RetryLater("the model could not be loaded; retry in " + backoff.toSeconds()
                    + " s, and see the function log for why", backoff, e);
        }
    }

    /**
     * Loads the model now unless it is loaded, whatever the backoff, waiting for a load already in
     * progress: for SnapStart's snapshot, which must not be taken without a model.
     */
    Predictor loadNow() {
        loading.lock();
        return loadAndUnlock();
    }

    Optional<Predictor> peek() {
        return Optional.ofNullable(predictor);
    }
}
