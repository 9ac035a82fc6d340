package org.mnistpipeline.pipeline;

import ai.djl.Device;
import ai.djl.engine.Engine;
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
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.ModelPackager;
import org.mnistpipeline.train.Trainer;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.train.TrainingResult;

/** {@link Training} on DJL's PyTorch engine, on the best device it finds. */
public final class DjlTraining implements Training {
    private final Trainer trainer;
    private final ModelPackager packager;

    public DjlTraining(Engine engine, TrainingListener listener) {
        Device device = Engines.bestDevice(engine);
        this.trainer = new Trainer(engine, device, listener);
        this.packager = new ModelPackager(engine, device);
    }

    @Override
    public TrainingResult train(Dataset dataset, Hyperparameters hp, Path dir, Map<String, Tensor> warmStart) {
        return trainer.train(dataset, hp, dir, true, warmStart);
    }

    @Override
    public Evaluation evaluate(ArchitectureSpec spec, List<Tensor> weights, LabeledImages images) {
        return packager.evaluate(spec, weights, images);
    }

    @Override
    public ModelManifest stage(Path stagingDir, Dataset dataset, TrainingResult result, Evaluation test,
            String parent, Path runDir) {
        return packager.stage(stagingDir, dataset, result, test, parent, runDir);
    }
}
