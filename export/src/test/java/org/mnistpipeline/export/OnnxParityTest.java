package org.mnistpipeline.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Architectures;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile.Tensor;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.ModelPackager;
import org.mnistpipeline.train.NetworkBuilder;
import org.mnistpipeline.train.Predictions;

/**
 * The exported graph computes what DJL computes: same logits to float rounding, same predicted class,
 * on real MNIST images. DJL (PyTorch) is the reference because it trained the weights.
 */
class OnnxParityTest {
    private static final int[] MNIST_INPUT = {1, 28, 28};
    private static Engine engine;

    @BeforeAll
    static void startEngine() {
        engine = Engines.pytorch(Locations.fromEnvironment().djlCache(), System.err::println);
    }

    @Test
    void trainedSmallModelGivesDjlLogitsOnThousandTestImages() throws Exception {
        ModelManifest manifest = TestModels.fixtureManifest();
        ArchitectureSpec spec = manifest.architecture();
        Map<String, Tensor> weights = TestModels.fixtureWeights();
        LabeledImages images = TestModels.testImages(1000);

        float[] djl = djlLogits(spec, weights, images);
        Ort.Outputs onnx = onnx(OnnxExporter.export(spec, weights, manifest.version()), images);

        float diff = TestModels.maxAbsDifference(djl, onnx.logits());
        System.out.printf("small fixture: max |logit diff| %.3g over %d images (max |logit| %.2f)%n", diff,
                images.size(), TestModels.maxAbs(djl));
        assertThat(diff).isLessThanOrEqualTo(1e-4f);
        assertThat(TestModels.argmax(onnx.logits(), 10)).isEqualTo(TestModels.argmax(djl, 10));

        // The probabilities output replaces the softmax a client would otherwise write itself.
        float[][] djlProbabilities = new ModelPackager(engine, Device.cpu())
                .probabilities(spec, List.copyOf(weights.values()), images);
        float[] flat = new float[images.size() * 10];
        for (int i = 0; i < djlProbabilities.length; i++) {
            System.arraycopy(djlProbabilities[i], 0, flat, i * 10, 10);
        }
        assertThat(TestModels.maxAbsDifference(flat, onnx.probabilities())).isLessThanOrEqualTo(1e-5f);
        int correct = 0;
        int[] predicted = TestModels.argmax(onnx.logits(), 10);
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == images.label(i) ? 1 : 0;
        }
        assertThat(correct).as("a 99%% model is right on nearly all of the first 1000 images").isGreaterThan(980);
    }

    @Test
    void strongNetworkWithBatchNormAfterDenseAndDropoutGivesDjlLogits() throws Exception {
        checkRandomlyInitialised(Architectures.strong(MNIST_INPUT, 10, 1f, 0.3f), 1);
    }

    @Test
    void referenceNetworkWithoutBatchNormGivesDjlLogits() throws Exception {
        checkRandomlyInitialised(Architectures.reference(MNIST_INPUT, 10), 2);
    }

    /**
     * DJL initialises the network (weights He-random, batch norm the identity); the batch-norm
     * parameters and running statistics are then randomised too, so that batch norm, including the
     * [N, features] case after a dense layer, does real work in both engines.
     */
    private void checkRandomlyInitialised(ArchitectureSpec spec, long seed) throws Exception {
        LabeledImages images = TestModels.testImages(500);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        try (NDManager manager = engine.newBaseManager(Device.cpu())) {
            List<Tensor> initial = NetworkBuilder.exportWeights(NetworkBuilder.buildInitialized(spec, manager));
            // The exporter asks for exactly the tensors DJL has, with the same shapes.
            assertThat(initial).extracting(Tensor::name)
                    .containsExactlyInAnyOrderElementsOf(OnnxExporter.requiredTensors(spec).keySet());
            Random random = new Random(seed);
            for (Tensor t : initial) {
                float[] data = t.data();
                if (!t.name().endsWith(".weight")) {
                    data = new float[data.length];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = TestModels.randomValue(t.name(), 1, random);
                    }
                }
                assertThat(OnnxExporter.requiredTensors(spec).get(t.name())).isEqualTo(t.shape());
                weights.put(t.name(), new Tensor(t.name(), t.shape(), data));
            }
        }
        float[] djl = djlLogits(spec, weights, images);
        Ort.Outputs onnx = onnx(OnnxExporter.export(spec, weights, "v1"), images);

        float diff = TestModels.maxAbsDifference(djl, onnx.logits());
        float scale = Math.max(1f, TestModels.maxAbs(djl));
        System.out.printf("%s (random weights): max |logit diff| %.3g over %d images (max |logit| %.2f)%n",
                spec.name(), diff, images.size(), scale);
        // Random logits are larger than trained ones; the bound is relative to their size.
        assertThat(diff).isLessThanOrEqualTo(1e-4f * scale);
        assertSameArgmaxUnlessTied(djl, onnx.logits(), 10, 2 * diff);
    }

    /** Argmax must agree except where DJL's top two classes are closer than the engines' rounding. */
    private static void assertSameArgmaxUnlessTied(float[] reference, float[] other, int classes, float tie) {
        int[] a = TestModels.argmax(reference, classes);
        int[] b = TestModels.argmax(other, classes);
        for (int r = 0; r < a.length; r++) {
            if (a[r] != b[r]) {
                float gap = Math.abs(reference[r * classes + a[r]] - reference[r * classes + b[r]]);
                assertThat(gap).as("image %d: DJL says %d, ONNX says %d", r, a[r], b[r]).isLessThanOrEqualTo(tie);
            }
        }
    }

    private static float[] djlLogits(ArchitectureSpec spec, Map<String, Tensor> weights, LabeledImages images) {
        try (NDManager manager = engine.newBaseManager(Device.cpu())) {
            SequentialBlock net = NetworkBuilder.buildInitialized(spec, manager);
            NetworkBuilder.importWeights(net, weights);
            return Predictions.logits(net, new ParameterStore(manager, false), manager, TestModels.pixels(images),
                    images.size(), images.rows(), images.cols());
        }
    }

    private static Ort.Outputs onnx(byte[] model, LabeledImages images) throws Exception {
        try (Ort ort = new Ort(model)) {
            return ort.run(TestModels.pixels(images), images.size(), images.rows(), images.cols());
        }
    }
}
