package org.mnistpipeline.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * How a step hands what it wrote (a training artefact, an evaluation) to a later step, which may
 * run in another process or on another machine. A step writes under its local work directory and
 * puts the location {@link #publish} returns in its output; the later step reads that location
 * through {@link #fetch}. With a local home the location is the directory itself; with a home in
 * an object store it is an {@code s3://} prefix, downloaded into local scratch when read.
 *
 * <p>It also places files under MNIST_HOME that something outside the pipeline reads by location (a
 * SageMaker training job's channels and output, the {@code model.tar.gz} an endpoint serves):
 * {@link #location} and {@link #publishAt}, with keys relative to MNIST_HOME, {@code /}-separated,
 * without empty, {@code .} or {@code ..} segments.
 */
public interface RunFiles {

    /**
     * Makes the file or directory {@code local} readable by later steps under {@code name} and
     * returns its location for the step's output.
     */
    String publish(Path local, String name);

    /**
     * A local copy of what {@code location} names: a local path as it is; an {@code s3://} object
     * or prefix (a published directory, or a SageMaker training job's {@code model.tar.gz})
     * downloaded into scratch space.
     */
    Path fetch(String location);

    /** Where {@code key} under MNIST_HOME is, as the services that read it are told: a path or an {@code s3://} URI. */
    String location(String key);

    /**
     * Copies the local file or directory tree {@code local} to {@code key} under MNIST_HOME,
     * replacing whatever was there, and returns its {@link #location}. On disk a reader sees the old
     * tree or the new one; in an object store {@code SHA256SUMS} (when there is one) comes last.
     */
    String publishAt(String key, Path local);

    /** The training artefact at {@code location}: a directory, or one gzipped tar ({@code model.tar.gz}). */
    default TrainingArtifact artifact(String location) {
        Path local = fetch(location);
        return Files.isDirectory(local) ? TrainingArtifact.read(local) : TrainingArtifact.readTarGz(local);
    }

    /** Everything stays where the steps wrote it, on this machine's disk; MNIST_HOME is {@code home}. */
    static RunFiles local(Path home) {
        return new LocalRunFiles(home.toAbsolutePath().normalize());
    }

    /**
     * Published under {@code prefix} in {@code storage}; MNIST_HOME is {@code home}; downloads go
     * under {@code scratch}.
     */
    static RunFiles objects(ObjectStorage storage, ObjectPath prefix, ObjectPath home, Path scratch) {
        return new ObjectRunFiles(storage, prefix, home, scratch);
    }
}
