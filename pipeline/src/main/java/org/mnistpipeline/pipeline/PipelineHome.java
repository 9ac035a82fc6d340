package org.mnistpipeline.pipeline;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * Where a pipeline keeps what outlives a step: its run records, its lock, its notifications, and
 * the files steps hand on. A directory ({@link #local}: {@code runs/}, {@code work/}, {@code lock},
 * {@code notifications.jsonl}) or an object prefix ({@link #objects}: {@code runs/}, {@code work/},
 * the lease {@code lock}, {@code notifications/}), whose steps work in local scratch space.
 */
public interface PipelineHome {

    RunStore runs();

    /** Takes the pipeline's lock for one run; {@link PipelineLock.BusyException} while another run holds it. */
    PipelineLock lock();

    /** The local directory run {@code runId}'s steps work in (checkpoints, staging). */
    Path workDir(String runId);

    /** How run {@code runId}'s steps hand files to later steps. */
    RunFiles files(String runId);

    /** Where run outcomes are told, plus {@code webhook} when it is not null. */
    Notifier notifier(URI webhook);

    /** For messages: the directory or the {@code s3://} prefix. */
    String location();

    /**
     * A pipeline in the directory {@code dir}, which is {@code $MNIST_HOME/pipeline}: its parent is
     * MNIST_HOME, where {@link RunFiles#publishAt} places files for other services.
     */
    static PipelineHome local(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        return new Local(absolute, absolute.getParent() != null ? absolute.getParent() : absolute);
    }

    /**
     * A pipeline under {@code root} in {@code storage}, working in {@code scratch} on this machine;
     * runs on any machine sharing the prefix exclude each other through a lease of {@code leaseTtl}.
     * {@code root} is {@code <MNIST_HOME>/pipeline}; {@code home} is MNIST_HOME itself.
     */
    static PipelineHome objects(ObjectStorage storage, ObjectPath root, ObjectPath home, Path scratch,
            Duration leaseTtl) {
        return new Shared(storage, root, home, scratch, leaseTtl);
    }

    /** See {@link #local}. */
    record Local(Path dir, Path home) implements PipelineHome {
        @Override
        public RunStore runs() {
            return RunStore.under(dir);
        }

        @Override
        public PipelineLock lock() {
            return PipelineLock.acquire(dir.resolve("lock"));
        }

        @Override
        public Path workDir(String runId) {
            return dir.resolve("work").resolve(runId);
        }

        @Override
        public RunFiles files(String runId) {
            return RunFiles.local(home);
        }

        @Override
        public Notifier notifier(URI webhook) {
            return Notifier.of(dir.resolve("notifications.jsonl"), webhook);
        }

        @Override
        public String location() {
            return dir.toString();
        }
    }

    /** See {@link #objects}. */
    record Shared(ObjectStorage storage, ObjectPath root, ObjectPath home, Path scratch, Duration leaseTtl)
            implements PipelineHome {
        @Override
        public RunStore runs() {
            return new ObjectRunStore(storage, root.resolve("runs"));
        }

        @Override
        public PipelineLock lock() {
            return ObjectPipelineLock.acquire(storage, root.resolve("lock"), leaseTtl, Clock.systemUTC());
        }

        @Override
        public Path workDir(String runId) {
            return scratch.resolve("work").resolve(runId);
        }

        @Override
        public RunFiles files(String runId) {
            return RunFiles.objects(storage, root.resolve("work").resolve(runId), home, workDir(runId));
        }

        @Override
        public Notifier notifier(URI webhook) {
            return Notifier.toObjects(storage, root.resolve("notifications"), webhook);
        }

        @Override
        public String location() {
            return root.toString();
        }
    }
}
