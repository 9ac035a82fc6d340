package org.mnistpipeline.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.store.ObjectStorage.ConditionFailed;
import org.mnistpipeline.store.ObjectStorage.Stored;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lock across machines that share nothing but an object store: one object holding who has it
 * and until when. Taken with a conditional write, so of two machines racing for it exactly one
 * wins: {@code If-None-Match: *} when there is no lease object yet, {@code If-Match: <etag>} of
 * the expired or released lease otherwise. A holder that dies stops renewing, and its lease
 * expires after {@code ttl}: a crashed run blocks the next one for at most that long, never for
 * ever. While held, the lease is renewed every {@code ttl / 3}, again with {@code If-Match}, so a
 * holder that was paused past its expiry and lost the lease to another finds out (see
 * {@link #held()}) instead of overwriting it. Releasing writes a released lease (not a delete, so
 * the release cannot remove a lease someone else has taken since).
 *
 * <p>Expiry compares the holder's clock, written into the lease, with the reader's: machines whose
 * clocks differ by more than a small part of {@code ttl} should not share a lease.
 */
public final class ObjectLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectLease.class);

    /** What the lease object holds. */
    public record State(String holder, String acquiredAt, String expiresAt, boolean released) {
        boolean free(Instant now) {
            try {
                return released || expiresAt == null || !Instant.parse(expiresAt).isAfter(now);
            } catch (java.time.DateTimeException e) {
                return true; // an expiry nobody can read holds nothing
            }
        }
    }

    /** Someone else holds the lease. */
    public static final class Held extends MnistException {
        private final transient State state;

        Held(ObjectPath path, State state) {
            super(Kind.BUSY, path + " is held by " + state.holder() + " until " + state.expiresAt());
            this.state = state;
        }

        /** The current holder's lease. */
        public State state() {
            return state;
        }
    }

    private final ObjectStorage storage;
    private final ObjectPath path;
    private final Duration ttl;
    private final Clock clock;
    private final State mine;
    private final ScheduledExecutorService renewals;
    private String etag;
    private boolean lost;
    private boolean closed;

    private ObjectLease(ObjectStorage storage, ObjectPath path, Duration ttl, Clock clock, State mine, String etag,
            boolean renew) {
        this.storage = storage;
        this.path = path;
        this.ttl = ttl;
        this.clock = clock;
        this.mine = mine;
        this.etag = etag;
        if (renew) {
            renewals = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("mnist-lease-renewal").factory());
            long every = Math.max(1, ttl.toMillis() / 3);
            renewals.scheduleWithFixedDelay(this::renewQuietly, every, every, TimeUnit.MILLISECONDS);
        } else {
            renewals = null;
        }
    }

    /**
     * Takes the lease at {@code path} for {@code holder}, or throws {@link Held} while someone else
     * holds an unexpired one.
     *
     * @param renew renew in the background every {@code ttl / 3} until closed; tests pass false and
     *              call {@link #renew()} themselves
     */
    public static ObjectLease acquire(ObjectStorage storage, ObjectPath path, Duration ttl, Clock clock,
            String holder, boolean renew) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a lease needs a positive time to live, got " + ttl);
        }
        for (int attempt = 1; ; attempt++) {
            Instant now = clock.instant();
            State mine = new State(holder, now.toString(), now.plus(ttl).toString(), false);
            try {
                return new ObjectLease(storage, path, ttl, clock, mine, storage.putIfAbsent(path, bytes(mine)), renew);
            } catch (ConditionFailed exists) {
                // There is a lease object: take it over only if it is free, and only if it is still that one.
            }
            Optional<Stored> current = storage.get(path);
            if (current.isPresent()) {
                State state = parse(current.get().bytes());
                if (!state.free(now)) {
                    throw new Held(path, state);
                }
                try {
                    String etag = storage.putIfMatch(path, bytes(mine), current.get().etag());
                    if (!state.released()) {
                        LOG.warn("took over the lease {} of {}, which expired at {}", path, state.holder(),
                                state.expiresAt());
                    }
                    return new ObjectLease(storage, path, ttl, clock, mine, etag, renew);
                } catch (ConditionFailed raced) {
                    // another machine took it between our read and our write: read again
                }
            }
            if (attempt >= 5) {
                throw new Held(path, storage.get(path).map(s -> parse(s.bytes()))
                        .orElse(new State("another writer", null, null, false)));
            }
        }
    }

    /**
     * As {@link #acquire}, waiting up to {@code patience} for a holder to finish (for short
     * critical sections, such as storing a batch); {@link Held} after that.
     */
    public static ObjectLease acquireWaiting(ObjectStorage storage, ObjectPath path, Duration ttl, Clock clock,
            String holder, Duration patience) {
        Instant deadline = Instant.now().plus(patience);
        while (true) {
            try {
                return acquire(storage, path, ttl, clock, holder, true);
            } catch (Held held) {
                if (Instant.now().isAfter(deadline)) {
                    throw held;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw held;
                }
            }
        }
    }

    /** Who holds the lease at {@code path} now, if anyone. */
    public static Optional<State> current(ObjectStorage storage, ObjectPath path, Clock clock) {
        return storage.get(path).map(s -> parse(s.bytes())).filter(s -> !s.free(clock.instant()));
    }

    /** Extends the lease by its time to live from now; marks it lost when someone else has taken it. */
    public synchronized void renew() {
        if (closed || lost) {
            return;
        }
        Instant now = clock.instant();
        State renewed = new State(mine.holder(), mine.acquiredAt(), now.plus(ttl).toString(), false);
        try {
            etag = storage.putIfMatch(path, bytes(renewed), etag);
        } catch (ConditionFailed e) {
            lost = true;
            LOG.error("lost the lease {}: another holder took it over (this holder was not heard from before it"
                    + " expired)", path);
        }
    }

    /** False once a renewal found that another holder has taken the lease over. */
    public synchronized boolean held() {
        return !lost && !closed;
    }

    /** Releases the lease so that the next taker need not wait for its expiry. */
    @Override
    public void close() {
        if (renewals != null) {
            renewals.shutdownNow();
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (lost) {
                return;
            }
            State released = new State(mine.holder(), mine.acquiredAt(), clock.instant().toString(), true);
            try {
                storage.putIfMatch(path, bytes(released), etag);
            } catch (ConditionFailed e) {
                LOG.warn("lease {} was taken over before it was released", path);
            }
        }
    }

    private void renewQuietly() {
        try {
            renew();
        } catch (RuntimeException e) {
            // A network failure: the next renewal may get through, long before the lease expires.
            LOG.warn("could not renew the lease {}: {}", path, e.toString());
        }
    }

    private static byte[] bytes(State state) {
        return (Json.pretty(state) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** A lease object that cannot be read holds nothing: otherwise one bad write would lock every run out. */
    private static State parse(byte[] bytes) {
        try {
            return Json.mapper().readValue(bytes, State.class);
        } catch (IOException | RuntimeException e) {
            return new State("(unreadable lease)", null, null, true);
        }
    }
}
