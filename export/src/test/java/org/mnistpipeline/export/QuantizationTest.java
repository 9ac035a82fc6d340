package org.mnistpipeline.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Architectures;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile.Tensor;

/** int8 weights: a much smaller file that predicts as the float model does. */
class QuantizationTest {

    @Test
    void int8ModelOfTheTrainedNetworkAgreesWithFloatOnThousandTestImages() throws Exception {
        ModelManifest manifest = TestModels.fixtureManifest();
        ArchitectureSpec spec = manifest.architecture();
        Map<String, Tensor> weights = TestModels.fixtureWeights();
        LabeledImages images = TestModels.testImages(1000);
        float[] pixels = TestModels.pixels(images);

        byte[] floatModel = OnnxExporter.export(spec, weights, "v1");
        byte[] int8Model = OnnxExporter.export(spec, weights, "v1", Quantization.INT8);
        Ort.Outputs exact;
        Ort.Outputs quantized;
        try (Ort ort = new Ort(floatModel)) {
            exact = ort.run(pixels, images.size(), 28, 28);
        }
        try (Ort ort = new Ort(int8Model)) {
            quantized = ort.run(pixels, images.size(), 28, 28);
            assertThat(ort.session().getMetadata().getCustomMetadata()).containsEntry("quantization", "int8");
        }
        int[] a = TestModels.argmax(exact.logits(), 10);
        int[] b = TestModels.argmax(quantized.logits(), 10);
        int agree = 0;
        for (int i = 0; i < a.length; i++) {
            agree += a[i] == b[i] ? 1 : 0;
        }
        System.out.printf("small fixture int8: %d bytes vs %d float (%.2fx), argmax agrees on %d/%d, "
                        + "max |logit diff| %.3g%n", int8Model.length, floatModel.length,
                (double) floatModel.length / int8Model.length, agree, a.length,
                TestModels.maxAbsDifference(exact.logits(), quantized.logits()));
        assertThat(agree).isGreaterThanOrEqualTo(990);
    }

    @Test
    void int8FileOfReferenceNetworkIsAtLeastThreeTimesSmaller() throws Exception {
        ArchitectureSpec spec = Architectures.reference(new int[] {1, 28, 28}, 10);
        Map<String, Tensor> weights = TestModels.randomWeights(spec, 4);
        byte[] floatModel = OnnxExporter.export(spec, weights, "v1");
        byte[] int8Model = OnnxExporter.export(spec, weights, "v1", Quantization.INT8);
        System.out.printf("reference: float %d bytes, int8 %d bytes (%.2fx smaller)%n", floatModel.length,
                int8Model.length, (double) floatModel.length / int8Model.length);
        assertThat((double) floatModel.length / int8Model.length).isGreaterThanOrEqualTo(3.0);
        try (Ort ort = new Ort(int8Model)) {
            Ort.Outputs out = ort.run(TestModels.pixels(TestModels.testImages(8)), 8, 28, 28);
            assertThat(out.logits()).hasSize(80);
            for (float v : out.logits()) {
                assertThat(v).isFinite();
            }
        }
    }

    @Test
    void int8GraphDequantizesEachConvAndGemmWeightPerOutputChannel() throws Exception {
        ArchitectureSpec spec = TestModels.fixtureManifest().architecture();
        OnnxMl.GraphProto graph = OnnxMl.ModelProto.parseFrom(
                OnnxExporter.export(spec, TestModels.fixtureWeights(), "v1", Quantization.INT8)).getGraph();
        assertThat(graph.getNodeList()).filteredOn(n -> n.getOpType().equals("DequantizeLinear"))
                .extracting(n -> n.getOutput(0))
                .containsExactly("layer1.weight", "layer5.weight", "layer10.weight");
        assertThat(graph.getInitializerList()).filteredOn(t -> t.getName().equals("layer5.weight.quantized"))
                .singleElement().satisfies(t -> {
                    assertThat(t.getDataType()).isEqualTo(OnnxMl.TensorProto.DataType.INT8_VALUE);
                    assertThat(t.getDimsList()).containsExactly(32L, 16L, 5L, 5L);
                });
        assertThat(graph.getInitializerList()).filteredOn(t -> t.getName().equals("layer5.weight.scale"))
                .singleElement().satisfies(t -> assertThat(t.getDimsList()).containsExactly(32L));
        // Biases and batch-norm statistics stay float32.
        assertThat(graph.getInitializerList()).filteredOn(t -> t.getName().equals("layer6.running_var"))
                .singleElement().satisfies(t -> assertThat(t.getDataType())
                        .isEqualTo(OnnxMl.TensorProto.DataType.FLOAT_VALUE));
    }

    @Test
    void perChannelQuantizationRoundsEachValueToHalfAStep() {
        float[] data = {0.5f, -1f, 0.25f, 0.001f, -0.002f, 0.0005f, 0f, 0f, 0f};
        QuantizedTensor q = QuantizedTensor.perOutputChannel(data, 3);
        assertThat(q.scales()).containsExactly(1f / 127f, 0.002f / 127f, 1f);
        for (int i = 0; i < data.length; i++) {
            float restored = q.values()[i] * q.scales()[i / 3];
            assertThat(Math.abs(restored - data[i])).isLessThanOrEqualTo(q.scales()[i / 3] / 2 + 1e-9f);
        }
        assertThat(q.values()[1]).isEqualTo((byte) -127);
        assertThat(q.values()[4]).isEqualTo((byte) -127);
    }
}
