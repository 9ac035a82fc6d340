package org.mnistpipeline.training;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * A training engine, as everything after training sees it: data and a recipe in, a
 * {@link TrainingArtifact} out. The DJL/PyTorch implementation lives in the train module; nothing
 * that evaluates, registers or serves a model depends on it.
 */
@FunctionalInterface
public interface Training {

    /** Where {@link #train} leaves the artefact inside its run directory. */
    String ARTIFACT_DIR = "artifact";

    /**
     * Trains on {@code dataset.train()} (less its validation split), checkpointing into
     * {@code runDir}, and writes the artefact to {@code runDir/}{@value #ARTIFACT_DIR}.
     *
     * @param resume    continue from the checkpoints in {@code runDir} (a run that finished returns its
     *                  result at once); false refuses a directory that already holds a run
     * @param warmStart initial weights (fine-tuning), or null for a fresh initialisation
     */
    TrainingArtifact train(Dataset dataset, Hyperparameters hp, Path runDir, boolean resume,
            Map<String, Tensor> warmStart);

    /** Creates the real engine only when something first trains (deciding or evaluating needs none). */
    static Training lazy(Supplier<Training> factory) {
        return new Training() {
            private Training delegate;

            @Override
            public synchronized TrainingArtifact train(Dataset dataset, Hyperparameters hp, Path runDir,
                    boolean resume, Map<String, Tensor> warmStart) {
                if (delegate == null) {
                    delegate = factory.get();
                }
                return delegate.train(dataset, hp, runDir, resume, warmStart);
            }
        };
    }
}
