package org.mnistpipeline.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.eval.Evaluator;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * DJL inference over a spec and weights: class probabilities and an evaluation. Releases score in
 * ONNX Runtime (the release service in the pipeline module); this remains for parity checks
 * between the two engines and for tests of the trainer itself.
 */
public final class ModelPackager {
    private final Device device;

    public ModelPackager(Engine engine, Device device) {
        this.device = device;
    }

    /** Class probabilities of {@code weights} on {@code images}, in inference mode. */
    public float[][] probabilities(ArchitectureSpec spec, List<Tensor> weights, LabeledImages images) {
        try (NDManager manager = NDManager.newBaseManager(device)) {
            SequentialBlock net = NetworkBuilder.buildInitialized(spec, manager);
            NetworkBuilder.importWeights(net, WeightsFile.byName(weights));
            return Predictions.probabilities(net, new ParameterStore(manager, false), manager, images, 1000);
        }
    }

    /** Evaluates on {@code images} (the test set for a release). */
    public Evaluation evaluate(ArchitectureSpec spec, List<Tensor> weights, LabeledImages images) {
        float[][] probabilities = probabilities(spec, weights, images);
        int[] labels = new int[images.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = images.label(i);
        }
        return Evaluator.evaluate(labels, probabilities, images.numClasses());
    }
}
