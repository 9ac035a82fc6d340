package org.mnistpipeline.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.ForwardingPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic micro-batching: concurrent callers queue their images; one collector thread takes the
 * first waiting request, gathers more for at most {@code maxWaitMicros} or until {@code maxBatch}
 * images, runs one {@link Predictor#predictBatch} and hands each caller its slice. One forward
 * pass over 32 images costs far less than 32 passes over one, so under load this trades a fraction
 * of a millisecond of latency for several times the throughput. Results are those of the wrapped
 * predictor: the model classifies every image of a batch independently.
 *
 * <p>A request that alone fills a batch skips the queue, and so does a request that is the only one
 * in flight. If a gathered batch fails, each request
 * in it is retried alone so that one bad request cannot fail its neighbours.
 *
 * <p>Bounded: at most {@code maxQueued} requests wait for the collector, and each waits at most
 * {@code timeout} for its result; past either it is answered 503 with {@code Retry-After}
 * ({@link RequestException.RetryLater}) instead of waiting on. The collector survives anything
 * thrown outside the model call too (the requests it had gathered fail with it), so one failure
 * never leaves every later request waiting on a dead thread.
 *
 * <p>Owns the wrapped predictor: {@link #close()} closes it. Close only when no call is in
 * flight (the server counts references to guarantee that).
 */
public final class BatchingPredictor extends ForwardingPredictor {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingPredictor.class);

    private final int maxBatch;
    private final long maxWaitNanos;
    private final java.util.function.LongSupplier requestsInFlight;
    private final long timeoutNanos;
    private final BlockingQueue<Job> queue;
    private final Thread collector;
    private volatile boolean closed;

    private record Job(List<float[]> images, CompletableFuture<List<Prediction>> result) {}

    public BatchingPredictor(Predictor delegate, int maxBatch, long maxWaitMicros) {
        this(delegate, maxBatch, maxWaitMicros, () -> Long.MAX_VALUE);
    }

    /**
     * @param requestsInFlight how many requests the server is answering now; the collector waits
     *                         for company only while more are in flight than it has gathered, so a
     *                         lone request (concurrency 1) never pays the batching wait
     */
    public BatchingPredictor(Predictor delegate, int maxBatch, long maxWaitMicros,
            java.util.function.LongSupplier requestsInFlight) {
        this(delegate, maxBatch, maxWaitMicros, requestsInFlight, ServerConfig.Batching.DEFAULT_MAX_QUEUED,
                ServerConfig.Batching.DEFAULT_QUEUE_TIMEOUT);
    }

    /**
     * @param maxQueued most requests waiting for the collector; one more is refused at once (503)
     * @param timeout   longest a request waits for its result before it is answered 503
     */
    public BatchingPredictor(Predictor delegate, int maxBatch, long maxWaitMicros,
            java.util.function.LongSupplier requestsInFlight, int maxQueued, java.time.Duration timeout) {
        super(Objects.requireNonNull(delegate, "delegate"));
        if (maxQueued < 1) {
            throw new IllegalArgumentException("maxQueued must be at least 1, got " + maxQueued);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        this.queue = new LinkedBlockingQueue<>(maxQueued);
        this.timeoutNanos = timeout.toNanos();
        this.requestsInFlight = Objects.requireNonNull(requestsInFlight, "requestsInFlight");
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
        }
        if (maxWaitMicros < 0) {
            throw new IllegalArgumentException("maxWaitMicros must not be negative, got " + maxWaitMicros);
        }
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MICROSECONDS.toNanos(maxWaitMicros);
        // A platform thread: the model runs in native code, which would pin a virtual thread's
        // carrier anyway, and callers wait on futures, which virtual threads do cheaply.
        this.collector = Thread.ofPlatform().daemon().name("mnist-batcher-" + delegate.modelVersion())
                .unstarted(this::collect);
        collector.start();
    }

    @Override
    public Prediction predict(float[] image) {
        return predictBatch(List.of(image)).get(0);
    }

    @Override
    public List<Prediction> predictBatch(List<float[]> images) {
        if (closed) {
            throw new IllegalStateException("predictor for model " + modelVersion() + " is closed");
        }
        if (images.isEmpty()) {
            return List.of();
        }
        if (images.size() >= maxBatch) {
            return delegate.predictBatch(images); // already a full batch: waiting could only add latency
        }
        if (requestsInFlight.getAsLong() <= 1 && queue.isEmpty()) {
            // Alone: nobody to batch with, so skip the two thread hand-offs through the collector.
            // The wrapped predictor is thread-safe, so a request arriving meanwhile is no problem.
            return delegate.predictBatch(images);
        }
        Job job = new Job(images, new CompletableFuture<>());
        if (!queue.offer(job)) {
            throw new RequestException.RetryLater("the server is busy: " + queue.size() + " requests are waiting"
                    + " for the model; retry in " + MemoryBudget.RETRY_AFTER.toSeconds() + " s", MemoryBudget.RETRY_AFTER);
        }
        if (closed) {
            failPending(); // raced with close(): make sure nobody waits forever
        }
        try {
            return job.result().get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // The collector skips a cancelled job, so the model never runs for nobody.
            job.result().cancel(false);
            throw new RequestException.RetryLater("the server is busy: no prediction within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms; retry in "
                    + MemoryBudget.RETRY_AFTER.toSeconds() + " s", MemoryBudget.RETRY_AFTER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a prediction", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    private void collect() {
        Job carried = null;
        List<Job> jobs = new ArrayList<>();
        while (!closed) {
            try {
                Job first = carried != null ? carried : queue.take();
                carried = null;
                if (first.result().isDone()) {
                    continue; // its caller timed out
                }
                jobs.add(first);
                int count = first.images().size();
                long deadline = System.nanoTime() + maxWaitNanos;
                while (count < maxBatch) {
                    long left = deadline - System.nanoTime();
                    boolean othersComing = requestsInFlight.getAsLong() > jobs.size();
                    Job next = left > 0 && othersComing ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    if (next.result().isDone()) {
                        continue;
                    }
                    if (count + next.images().size() > maxBatch) {
                        carried = next; // starts the next batch, keeping arrival order
                        break;
                    }
                    jobs.add(next);
                    count += next.images().size();
                }
                run(jobs, count);
            } catch (InterruptedException e) {
                for (Job job : jobs) {
                    job.result().completeExceptionally(closedError()); // gathered, never run: close() stops us
                }
                break;
            } catch (Throwable e) {
                // Thrown outside the model call (which run() guards): the gathered requests fail with
                // it, and the collector carries on, or every later request would wait forever.
                LOG.error("batch collector failed outside the model call; {} request(s) fail, the collector goes on",
                        jobs.size(), e);
                for (Job job : jobs) {
                    job.result().completeExceptionally(e);
                }
            } finally {
                jobs.clear();
            }
        }
        // Only reached on close: whatever was taken from the queue but not run fails, as does the rest.
        if (carried != null) {
            carried.result().completeExceptionally(closedError());
        }
        failPending();
    }

    private void run(List<Job> jobs, int count) {
        if (jobs.size() == 1) {
            runAlone(jobs.get(0));
            return;
        }
        List<float[]> all = new ArrayList<>(count);
        for (Job job : jobs) {
            all.addAll(job.images());
        }
        List<Prediction> predictions;
        try {
            predictions = delegate.predictBatch(all);
        } catch (RuntimeException | Error e) {
            LOG.debug("batch of {} requests failed ({}); retrying each alone", jobs.size(), e.toString());
            jobs.forEach(this::runAlone);
            return;
        }
        int from = 0;
        for (Job job : jobs) {
            int to = from + job.images().size();
            job.result().complete(List.copyOf(predictions.subList(from, to)));
            from = to;
        }
    }

    private void runAlone(Job job) {
        try {
            job.result().complete(delegate.predictBatch(job.images()));
        } catch (RuntimeException | Error e) {
            job.result().completeExceptionally(e);
        }
    }

    private void failPending() {
        Job job;
        while ((job = queue.poll()) != null) {
            job.result().completeExceptionally(closedError());
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("predictor for model " + modelVersion() + " closed before answering");
    }

    /** Stops the collector (queued requests fail) and closes the wrapped predictor. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        collector.interrupt();
        try {
            collector.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failPending();
        delegate.close();
    }

    @Override
    public String toString() {
        return "BatchingPredictor[" + delegate + ", maxBatch=" + maxBatch + ", maxWait="
                + TimeUnit.NANOSECONDS.toMicros(maxWaitNanos) + "us]";
    }
}
