package org.mnistpipeline.inference;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;

/**
 * The memory that requests may hold at once while their bodies are read, decoded and scored:
 * one budget per server (or function environment, or ingest run), shared by every request, sized
 * from the heap. Each request reserves what it will allocate <em>before</em> allocating it, from
 * what it declares (a {@code Content-Length}, an image header, a tensor shape), so a request that
 * could never fit is refused with 413 and one that does not fit now with 503 and
 * {@code Retry-After}, before any work starts. Nothing here catches an {@code OutOfMemoryError}:
 * the point is never to reach one.
 *
 * <p>The counts are estimates of what the decoders allocate (see {@link ImagePreprocessor} and
 * {@link TensorDecoders}), deliberately on the high side. Thread-safe; a {@link Lease} belongs to
 * one request and one thread.
 */
public final class MemoryBudget {
    /**
     * Share of the maximum heap that requests may hold together. The rest is the server's own (the
     * model's bytes, metrics, connection buffers, short-lived garbage of every request) and the
     * collector's headroom: a heap more than about half full of live large arrays spends its time
     * in full collections.
     */
    public static final double HEAP_SHARE = 0.5;
    /** What a refused client is told to wait: long enough for the requests in flight to finish (milliseconds each). */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    /** A budget of {@code capacityBytes}; see {@link #ofHeap()} for the usual size. */
    public MemoryBudget(long capacityBytes) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("capacityBytes must be positive, got " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    /** {@value #HEAP_SHARE} of this JVM's maximum heap ({@code -Xmx}). */
    public static MemoryBudget ofHeap() {
        return new MemoryBudget(defaultCapacity());
    }

    /** {@value #HEAP_SHARE} of this JVM's maximum heap, in bytes. */
    public static long defaultCapacity() {
        return (long) (Runtime.getRuntime().maxMemory() * HEAP_SHARE);
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes reserved by the requests in flight now. */
    public long used() {
        return used.get();
    }

    /** A request's account, empty; close it when the request is answered. */
    public Lease lease() {
        return new Lease();
    }

    /** Megabytes, for messages. */
    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.0f MB", Math.ceil(bytes / 1e6));
    }

    /**
     * What one request holds. Reservations add up and are released together by {@link #close()};
     * a request holds them until it is answered, since what it decoded is garbage only then.
     */
    public final class Lease implements AutoCloseable {
        private long held;

        private Lease() {}

        /**
         * Reserves {@code bytes} more for this request. Refuses with 413 when this request alone
         * would need more than the whole budget ({@code what} names it, {@code advice} says what to
         * send instead), and with 503 and {@code Retry-After} when the budget is taken by others now.
         */
        public void reserve(long bytes, String what, String advice) {
            if (bytes <= 0) {
                return;
            }
            long total = held + bytes;
            if (total > capacity || total < 0) {
                throw new RequestException(Kind.TOO_LARGE, what + " needs about " + mb(total)
                        + " of memory, more than the " + mb(capacity) + " this server gives one request; " + advice);
            }
            long now;
            do {
                now = used.get();
                if (now + bytes > capacity) {
                    throw new RequestException.RetryLater("the server is busy: requests in flight hold its memory for"
                            + " decoding; retry in " + RETRY_AFTER.toSeconds() + " s", RETRY_AFTER);
                }
            } while (!used.compareAndSet(now, now + bytes));
            held = total;
        }

        /** Bytes this request holds. */
        public long held() {
            return held;
        }

        /** Releases everything this request reserved; idempotent. */
        @Override
        public void close() {
            if (held > 0) {
                used.addAndGet(-held);
                held = 0;
            }
        }
    }
}
