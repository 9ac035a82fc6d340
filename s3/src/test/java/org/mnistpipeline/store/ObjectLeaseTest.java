package org.mnistpipeline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.ScriptedStorage;

/**
 * The lease on S3 (moto's server): one holder at a time, a crashed holder's lease taken over once
 * it has expired, a holder that was silent too long finds out it lost it. Time is a settable
 * clock, so expiry needs no waiting; renewals are called by the test, not by a timer.
 */
class ObjectLeaseTest {
    private static final Duration TTL = Duration.ofMinutes(10);
    private static MotoBucket s3;

    private ObjectPath lock;
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-03T10:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    @BeforeAll
    static void start() throws Exception {
        s3 = MotoBucket.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void freshBucket() throws Exception {
        lock = s3.freshHome().resolve("pipeline/lock");
    }

    private ObjectLease take(String holder) {
        return ObjectLease.acquire(s3.storage, lock, TTL, clock, holder, false);
    }

    @Test
    void oneHolderAtATimeAndReleasingFreesItAtOnce() {
        ObjectLease first = take("machine A");
        assertThatThrownBy(() -> take("machine B")).isInstanceOf(ObjectLease.Held.class)
                .hasMessageContaining("machine A").hasMessageContaining("2026-12-03T10:10:00Z");
        first.close();
        try (ObjectLease second = take("machine B")) {
            assertThat(second.held()).isTrue();
            assertThat(ObjectLease.current(s3.storage, lock, clock)).get()
                    .extracting(ObjectLease.State::holder).isEqualTo("machine B");
        }
    }

    @Test
    void aCrashedHoldersLeaseIsTakenOverOnceItHasExpired() {
        take("machine A, then killed"); // never renewed, never released
        now.set(now.get().plus(TTL).minusSeconds(1));
        assertThatThrownBy(() -> take("machine B")).isInstanceOf(ObjectLease.Held.class);
        now.set(now.get().plusSeconds(1));
        try (ObjectLease b = take("machine B")) {
            assertThat(b.held()).isTrue();
        }
    }

    @Test
    void renewingKeepsTheLeaseAndAHolderThatWasTooSlowFindsItLost() {
        ObjectLease a = take("machine A");
        now.set(now.get().plus(TTL.dividedBy(2)));
        a.renew();
        now.set(now.get().plus(TTL.dividedBy(2)).plusSeconds(1)); // past the first expiry, not the renewed one
        assertThatThrownBy(() -> take("machine B")).isInstanceOf(ObjectLease.Held.class);

        now.set(now.get().plus(TTL)); // A stalled past the renewed expiry: B takes over
        ObjectLease b = take("machine B");
        a.renew(); // A wakes up; its If-Match on the old tag is refused
        assertThat(a.held()).isFalse();
        a.close(); // must not release B's lease
        assertThat(ObjectLease.current(s3.storage, lock, clock)).get()
                .extracting(ObjectLease.State::holder).isEqualTo("machine B");
        b.close();
    }

    @Test
    void twoMachinesTakingOverTheSameExpiredLeaseCannotBothWin() {
        take("machine A, then killed");
        now.set(now.get().plus(TTL).plusSeconds(1));
        ScriptedStorage storage = new ScriptedStorage(s3.storage);
        AtomicReference<ObjectLease> c = new AtomicReference<>();
        // B read the expired lease; before its If-Match write goes out, C takes the lease over.
        storage.beforeReplaceIfMatch(lock, () -> c.set(take("machine C")));

        assertThatThrownBy(() -> ObjectLease.acquire(storage, lock, TTL, clock, "machine B", false))
                .isInstanceOf(ObjectLease.Held.class).hasMessageContaining("machine C");
        // B's create (a lease object exists), B's take-over (C's came first), B's create on its second look.
        assertThat(storage.conditionFailures()).isEqualTo(3);
        assertThat(c.get().held()).isTrue();
    }
}
