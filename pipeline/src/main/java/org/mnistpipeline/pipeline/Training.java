package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile.Tensor;
import org.mnistpipeline.train.TrainingResult;

/** The training engine as the pipeline sees it; DJL stays behind this. */
public interface Training {

    /**
     * Trains into {@code dir}, continuing from its checkpoints when there are any (so a step
     * killed mid-training resumes, and one that finished returns its result at once).
     */
    TrainingResult train(Dataset dataset, Hyperparameters hp, Path dir, Map<String, Tensor> warmStart);

    Evaluation evaluate(ArchitectureSpec spec, List<Tensor> weights, LabeledImages images);

    /** Writes a model package into {@code stagingDir} as {@code mnist train} would. */
    ModelManifest stage(Path stagingDir, Dataset dataset, TrainingResult result, Evaluation test, String parent,
            Path runDir);

    /** Creates the real training engine only when a step first needs it (deciding needs none). */
    static Training lazy(java.util.function.Supplier<Training> factory) {
        return new Training() {
            private Training delegate;

            private synchronized Training get() {
                if (delegate == null) {
                    delegate = factory.get();
                }
                return delegate;
            }

            @Override
            public TrainingResult train(Dataset dataset, Hyperparameters hp, Path dir, Map<String, Tensor> warmStart) {
                return get().train(dataset, hp, dir, warmStart);
            }

            @Override
            public Evaluation evaluate(ArchitectureSpec spec, List<Tensor> weights, LabeledImages images) {
                return get().evaluate(spec, weights, images);
            }

            @Override
            public ModelManifest stage(Path stagingDir, Dataset dataset, TrainingResult result, Evaluation test,
                    String parent, Path runDir) {
                return get().stage(stagingDir, dataset, result, test, parent, runDir);
            }
        };
    }
}
