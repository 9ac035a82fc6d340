package org.mnistpipeline.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Architectures;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile.Tensor;

/** The exporter's contract apart from numerics: graph interface, metadata, and clear refusals. */
class OnnxExporterTest {
    private final ModelManifest manifest = TestModels.fixtureManifest();
    private final ArchitectureSpec spec = manifest.architecture();

    @Test
    void graphTakesImagesWithSymbolicBatchAndGivesLogitsAndProbabilities() throws Exception {
        byte[] model = OnnxExporter.export(spec, TestModels.fixtureWeights(), "v1");
        try (Ort ort = new Ort(model)) {
            Map<String, NodeInfo> inputs = ort.session().getInputInfo();
            assertThat(inputs).containsOnlyKeys("image");
            assertThat(((TensorInfo) inputs.get("image").getInfo()).getShape()).containsExactly(-1, 1, 28, 28);
            Map<String, NodeInfo> outputs = ort.session().getOutputInfo();
            assertThat(outputs).containsOnlyKeys("logits", "probabilities");
            assertThat(((TensorInfo) outputs.get("logits").getInfo()).getShape()).containsExactly(-1, 10);
            assertThat(((TensorInfo) outputs.get("probabilities").getInfo()).getShape()).containsExactly(-1, 10);

            // Any batch size runs: one image and three images.
            float[] three = new float[3 * 784];
            three[100] = 1f;
            assertThat(ort.run(new float[784], 1, 28, 28).logits()).hasSize(10);
            Ort.Outputs out = ort.run(three, 3, 28, 28);
            assertThat(out.probabilities()).hasSize(30);
            float sum = 0;
            for (int i = 0; i < 10; i++) {
                sum += out.probabilities()[i];
            }
            assertThat(sum).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void metadataSaysWhichModelItIs() throws Exception {
        byte[] model = OnnxExporter.export(spec, TestModels.fixtureWeights(), "v7");
        try (Ort ort = new Ort(model)) {
            var metadata = ort.session().getMetadata();
            assertThat(metadata.getProducerName()).isEqualTo("mnist-pipeline");
            assertThat(metadata.getVersion()).isEqualTo(7);
            assertThat(metadata.getCustomMetadata())
                    .containsEntry("model_version", "v7")
                    .containsEntry("architecture", "small")
                    .containsEntry("producer", "mnist-pipeline")
                    .containsEntry("quantization", "none");
            // The stored spec is the spec: a reader can rebuild the network from it.
            assertThat(Json.parse(metadata.getCustomMetadata().get("architecture_spec"), ArchitectureSpec.class))
                    .isEqualTo(spec);
        }
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(model);
        assertThat(proto.getIrVersion()).isEqualTo(7);
        assertThat(proto.getOpsetImport(0).getVersion()).isEqualTo(13);
        assertThat(proto.getGraph().getNodeList()).extracting(OnnxMl.NodeProto::getOpType).containsExactly(
                "Sub", "Div", "Conv", "BatchNormalization", "Relu", "MaxPool",
                "Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "Gemm", "Softmax");
    }

    @Test
    void dropoutIsLeftOutOfTheGraph() throws Exception {
        ArchitectureSpec reference = Architectures.reference(new int[] {1, 28, 28}, 10);
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(
                OnnxExporter.export(reference, TestModels.randomWeights(reference, 3), "v1"));
        assertThat(proto.getGraph().getNodeList()).extracting(OnnxMl.NodeProto::getOpType)
                .doesNotContain("Dropout").containsExactly("Sub", "Div", "Conv", "Relu", "Conv", "Relu", "MaxPool",
                        "Flatten", "Gemm", "Relu", "Gemm", "Softmax");
    }

    @Test
    void sameModelExportsToSameBytes() {
        Map<String, Tensor> weights = TestModels.fixtureWeights();
        assertThat(OnnxExporter.export(spec, weights, "v1")).isEqualTo(OnnxExporter.export(spec, weights, "v1"));
    }

    @Test
    void writeLeavesTheExportedBytesAndNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.onnx");
        Files.writeString(file, "old model");
        OnnxExporter.write(file, spec, TestModels.fixtureWeights(), "v1");
        assertThat(Files.readAllBytes(file)).isEqualTo(OnnxExporter.export(spec, TestModels.fixtureWeights(), "v1"));
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void badWeightsWriteNothing(@TempDir Path dir) {
        Path file = dir.resolve("model.onnx");
        Map<String, Tensor> weights = TestModels.fixtureWeights();
        weights.remove("layer1.bias");
        assertThatThrownBy(() -> OnnxExporter.write(file, spec, weights, "v1"))
                .isInstanceOf(OnnxExportException.class);
        assertThat(file).doesNotExist();
    }

    @Test
    void missingTensorIsNamedWithTheShapeItNeeds() {
        Map<String, Tensor> weights = TestModels.fixtureWeights();
        weights.remove("layer6.running_var");
        assertThatThrownBy(() -> OnnxExporter.export(spec, weights, "v1"))
                .isInstanceOf(OnnxExportException.class)
                .hasMessageContaining("cannot export small to ONNX")
                .hasMessageContaining("tensor layer6.running_var [32] is missing")
                .hasMessageContaining("export the manifest and weights of the same model package");
    }

    @Test
    void misshapenTensorIsNamedWithBothShapes() {
        Map<String, Tensor> weights = TestModels.fixtureWeights();
        weights.put("layer5.weight", new Tensor("layer5.weight", new long[] {32, 16, 3, 3}, new float[32 * 16 * 9]));
        assertThatThrownBy(() -> OnnxExporter.export(spec, weights, "v1"))
                .isInstanceOf(OnnxExportException.class)
                .hasMessageContaining("tensor layer5.weight has shape [32, 16, 3, 3] but the architecture needs "
                        + "[32, 16, 5, 5]");
    }

    @Test
    void unusedTensorIsRejectedRatherThanIgnored() {
        Map<String, Tensor> weights = new LinkedHashMap<>(TestModels.fixtureWeights());
        weights.put("layer3.weight", new Tensor("layer3.weight", new long[] {2}, new float[2]));
        assertThatThrownBy(() -> OnnxExporter.export(spec, weights, "v1"))
                .isInstanceOf(OnnxExportException.class)
                .hasMessageContaining("tensor layer3.weight is not used by any layer");
    }

    @Test
    void weightsOfAnotherArchitectureListEveryProblem() {
        ArchitectureSpec strong = Architectures.strong(new int[] {1, 28, 28}, 10, 1f, 0.3f);
        assertThatThrownBy(() -> OnnxExporter.export(strong, TestModels.fixtureWeights(), "v1"))
                .isInstanceOf(OnnxExportException.class)
                .hasMessageContaining("cannot export strong to ONNX")
                .hasMessageContaining("tensor layer1.weight has shape [16, 1, 5, 5] but the architecture needs "
                        + "[32, 1, 5, 5]")
                .hasMessageContaining("tensor layer9.gamma [64] is missing")
                .hasMessageContaining("tensors layer10.bias, layer10.weight are not used by any layer");
    }

    @Test
    void blankModelVersionIsRefused() {
        assertThatThrownBy(() -> OnnxExporter.export(spec, TestModels.fixtureWeights(), " "))
                .isInstanceOf(OnnxExportException.class)
                .hasMessageContaining("without a model version");
    }
}
