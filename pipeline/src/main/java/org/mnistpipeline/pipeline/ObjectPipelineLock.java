package org.mnistpipeline.pipeline;

import java.time.Clock;
import java.time.Duration;
import org.mnistpipeline.store.ObjectLease;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * One retraining run at a time across machines: the pipeline's {@link ObjectLease}, renewed while
 * the run goes on. A run whose machine dies stops renewing it, and the next run may start once
 * the lease has expired ({@code ttl}, default {@link #DEFAULT_TTL}).
 */
public final class ObjectPipelineLock implements PipelineLock {
    /**
     * How long a silent holder keeps the lease: renewals go out every third of it, so a holder must
     * miss three in a row (a network outage, a paused VM) before another run may take over.
     */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);

    private final ObjectLease lease;

    private ObjectPipelineLock(ObjectLease lease) {
        this.lease = lease;
    }

    /** Takes the lease at {@code path}; {@link PipelineLock.BusyException} while another run holds it. */
    public static PipelineLock acquire(ObjectStorage storage, ObjectPath path, Duration ttl, Clock clock) {
        String holder = "pid " + ProcessHandle.current().pid() + " on " + host() + " since " + clock.instant();
        try {
            return new ObjectPipelineLock(ObjectLease.acquire(storage, path, ttl, clock, holder, true));
        } catch (ObjectLease.Held held) {
            throw new BusyException("another retraining run is in progress (" + held.state().holder()
                    + ", lease " + path + " until " + held.state().expiresAt() + "); try again when it has finished");
        }
    }

    @Override
    public void check() {
        if (!lease.held()) {
            throw new BusyException("this run lost the pipeline lease (it was not renewed in time and another run"
                    + " took it over); it stops here and can be resumed once the other run has finished");
        }
    }

    @Override
    public void close() {
        lease.close();
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown host";
        }
    }
}
