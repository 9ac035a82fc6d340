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

    /** The training artefact at {@code location}: a directory, or one gzipped tar ({@code model.tar.gz}). */
    default TrainingArtifact artifact(String location) {
        Path local = fetch(location);
        return Files.isDirectory(local) ? TrainingArtifact.read(local) : TrainingArtifact.readTarGz(local);
    }

    /** Everything stays where the steps wrote it, on this machine's disk. */
    static RunFiles local() {
        return LocalRunFiles.INSTANCE;
    }

    /** Published under {@code prefix} in {@code storage}; downloads go under {@code scratch}. */
    static RunFiles objects(ObjectStorage storage, ObjectPath prefix, Path scratch) {
        return new ObjectRunFiles(storage, prefix, scratch);
    }
}
