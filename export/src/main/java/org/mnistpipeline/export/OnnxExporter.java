package org.mnistpipeline.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Layer;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * Writes a model (its {@link ArchitectureSpec} and its weights) as an ONNX graph, reading only the
 * engine-neutral spec and tensors: no DJL, no PyTorch. Any ONNX runtime (ONNX Runtime in Java,
 * Python, C#, the browser, a phone) can then serve the model without the training stack.
 *
 * <p>The graph takes {@value #INPUT}, float pixels in [0, 1] shaped {@code [N, channels, height,
 * width]} with a symbolic batch size {@value #BATCH_DIM}, and gives {@value #LOGITS} and
 * {@value #PROBABILITIES} (softmax over classes), each {@code [N, classes]}, so a client needs no
 * pre- or post-processing: normalisation is inside the graph, as it is inside the DJL network.
 *
 * <p>It targets opset {@value #OPSET} with IR version {@value #IR_VERSION}: old enough that every
 * maintained runtime loads it, and new enough for per-channel {@code DequantizeLinear} (int8 export).
 * Initializers keep the weights file's tensor names ({@code layer<i>.weight} ...), so a node in a
 * graph viewer can be traced back to its spec layer.
 */
public final class OnnxExporter {
    public static final int OPSET = 13;
    /** The IR version that goes with opset 13. */
    public static final long IR_VERSION = 7;
    public static final String INPUT = "image";
    public static final String LOGITS = "logits";
    public static final String PROBABILITIES = "probabilities";
    public static final String BATCH_DIM = "N";
    public static final String PRODUCER = "mnist-pipeline";

    /** Metadata keys (ONNX {@code metadata_props}), readable through any runtime's model metadata API. */
    public static final String META_MODEL_VERSION = "model_version";
    public static final String META_ARCHITECTURE = "architecture";
    public static final String META_PRODUCER = "producer";
    public static final String META_SPEC = "architecture_spec";
    public static final String META_QUANTIZATION = "quantization";

    /**
     * Batch-norm epsilon. The spec does not store it: NetworkBuilder fixes it at 1e-5 (PyTorch's
     * default), and the exported graph must divide by exactly the same {@code sqrt(var + eps)}.
     */
    static final float BATCH_NORM_EPSILON = 1e-5f;

    private static final Pattern NUMBERED_VERSION = Pattern.compile("v?(\\d{1,18})");

    private OnnxExporter() {}

    /** The model as ONNX bytes, with float32 weights. */
    public static byte[] export(ArchitectureSpec spec, Map<String, Tensor> weights, String modelVersion) {
        return export(spec, weights, modelVersion, Quantization.NONE);
    }

    /**
     * The model as ONNX bytes.
     *
     * @param weights      every tensor the spec needs, by name ({@link #requiredTensors}), and no others
     * @param modelVersion registry version such as {@code v7}; stored in the metadata so a served
     *                     file says which model it is
     * @throws OnnxExportException if a tensor is missing, misshapen or unused, or the version is blank
     */
    public static byte[] export(ArchitectureSpec spec, Map<String, Tensor> weights, String modelVersion,
            Quantization quantization) {
        return model(spec, weights, modelVersion, quantization).toByteArray();
    }

    /** Writes {@link #export(ArchitectureSpec, Map, String)} to {@code file}, atomically. */
    public static void write(Path file, ArchitectureSpec spec, Map<String, Tensor> weights, String modelVersion) {
        write(file, spec, weights, modelVersion, Quantization.NONE);
    }

    /**
     * Writes {@link #export(ArchitectureSpec, Map, String, Quantization)} to {@code file}. Atomic, as
     * the file may sit in a directory a server is reading: it holds the old model or the new one,
     * never half of one. The graph is built before the file is touched, so a bad model writes nothing.
     */
    public static void write(Path file, ArchitectureSpec spec, Map<String, Tensor> weights, String modelVersion,
            Quantization quantization) {
        AtomicFiles.write(file, export(spec, weights, modelVersion, quantization));
    }

    /**
     * The tensors the spec's network needs, by name, with their shapes, in layer order: the same
     * names and layouts DJL's NetworkBuilder writes (conv OIHW, dense (out, in), batch norm per channel
     * or per feature).
     */
    public static SequencedMap<String, long[]> requiredTensors(ArchitectureSpec spec) {
        SequencedMap<String, long[]> required = new LinkedHashMap<>();
        Shapes shapes = new Shapes(spec.input());
        for (int i = 0; i < spec.layers().size(); i++) {
            Layer layer = spec.layers().get(i);
            String p = "layer" + i + ".";
            switch (layer) {
                case Layer.Conv2d conv -> {
                    required.put(p + "weight", new long[] {conv.filters(), shapes.c, conv.kernel(), conv.kernel()});
                    required.put(p + "bias", new long[] {conv.filters()});
                }
                case Layer.BatchNorm bn -> {
                    long n = shapes.width();
                    for (String name : List.of("gamma", "beta", "running_mean", "running_var")) {
                        required.put(p + name, new long[] {n});
                    }
                }
                case Layer.Dense dense -> {
                    required.put(p + "weight", new long[] {dense.units(), shapes.features});
                    required.put(p + "bias", new long[] {dense.units()});
                }
                default -> { }
            }
            shapes.apply(layer);
        }
        return required;
    }

    static ModelProto model(ArchitectureSpec spec, Map<String, Tensor> weights, String modelVersion,
            Quantization quantization) {
        if (modelVersion == null || modelVersion.isBlank()) {
            throw new OnnxExportException("cannot export " + spec.name() + " to ONNX without a model version: "
                    + "register the package first and export the registered version (e.g. v7)");
        }
        if (quantization == null) {
            throw new OnnxExportException("quantization must be given: Quantization.NONE or Quantization.INT8");
        }
        checkWeights(spec, weights);
        GraphProto graph = new GraphBuilder(weights, quantization).build(spec);
        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName(PRODUCER)
                .setDomain("org.mnistpipeline")
                .setDocString("MNIST classifier '" + spec.name() + "' " + modelVersion
                        + ": input pixels in [0, 1] (0 = paper), outputs logits and softmax probabilities")
                .setGraph(graph);
        Matcher numbered = NUMBERED_VERSION.matcher(modelVersion);
        if (numbered.matches()) {
            // ONNX's own model_version is an integer; the registry's "v7" maps onto it naturally.
            model.setModelVersion(Long.parseLong(numbered.group(1)));
        }
        metadata(model, META_MODEL_VERSION, modelVersion);
        metadata(model, META_ARCHITECTURE, spec.name());
        metadata(model, META_PRODUCER, PRODUCER);
        metadata(model, META_QUANTIZATION, quantization.name().toLowerCase(Locale.ROOT));
        // The full spec lets a reader rebuild or describe the network without parsing the graph.
        metadata(model, META_SPEC, Json.compact(spec));
        return model.build();
    }

    private static void metadata(ModelProto.Builder model, String key, String value) {
        model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    }

    /**
     * Rejects weights that do not fit the spec before any graph is built, naming every problem at once:
     * a silently ignored or zero-filled tensor would give a model that loads and answers wrongly.
     */
    private static void checkWeights(ArchitectureSpec spec, Map<String, Tensor> weights) {
        SequencedMap<String, long[]> required = requiredTensors(spec);
        List<String> problems = new ArrayList<>();
        required.forEach((name, shape) -> {
            Tensor tensor = weights.get(name);
            if (tensor == null) {
                problems.add("tensor " + name + " " + Arrays.toString(shape) + " is missing");
            } else if (!Arrays.equals(tensor.shape(), shape)) {
                problems.add("tensor " + name + " has shape " + Arrays.toString(tensor.shape())
                        + " but the architecture needs " + Arrays.toString(shape));
            }
        });
        List<String> unused = weights.keySet().stream().filter(name -> !required.containsKey(name)).sorted().toList();
        if (!unused.isEmpty()) {
            problems.add("tensor" + (unused.size() == 1 ? " " : "s ") + String.join(", ", unused)
                    + (unused.size() == 1 ? " is" : " are") + " not used by any layer");
        }
        if (!problems.isEmpty()) {
            throw new OnnxExportException("cannot export " + spec.name() + " to ONNX: the weights do not match the "
                    + "architecture (" + String.join("; ", problems) + "); export the manifest and weights of the "
                    + "same model package");
        }
    }

    /** Tracks the feature-map shape through the layers, as ArchitectureSpec's validation does. */
    private static final class Shapes {
        long c;
        long h;
        long w;
        long features = -1;

        Shapes(int[] input) {
            c = input[0];
            h = input[1];
            w = input[2];
        }

        /** Channels of a feature map, or features after flatten: what batch norm normalises over. */
        long width() {
            return features >= 0 ? features : c;
        }

        void apply(Layer layer) {
            switch (layer) {
                case Layer.Conv2d conv -> {
                    h = (h + 2L * conv.padding() - conv.kernel()) / conv.stride() + 1;
                    w = (w + 2L * conv.padding() - conv.kernel()) / conv.stride() + 1;
                    c = conv.filters();
                }
                case Layer.MaxPool pool -> {
                    h /= pool.size();
                    w /= pool.size();
                }
                case Layer.Flatten flatten -> features = c * h * w;
                case Layer.Dense dense -> features = dense.units();
                default -> { }
            }
        }
    }

    /** Builds the graph node by node, threading the name of the current value through the layers. */
    private static final class GraphBuilder {
        private final Map<String, Tensor> weights;
        private final Quantization quantization;
        private final GraphProto.Builder graph = GraphProto.newBuilder();
        private String current = INPUT;

        GraphBuilder(Map<String, Tensor> weights, Quantization quantization) {
            this.weights = weights;
            this.quantization = quantization;
        }

        GraphProto build(ArchitectureSpec spec) {
            int[] in = spec.input();
            graph.setName("mnist_" + spec.name());
            graph.addInput(floatValue(INPUT, in[0], in[1], in[2]));
            int last = spec.layers().size() - 1;
            for (int i = 0; i <= last; i++) {
                layer(i, spec.layers().get(i), i == last ? LOGITS : "layer" + i + ".output");
            }
            // A runtime-side softmax would be one more place for a client to get it wrong.
            node("Softmax", "softmax", List.of(LOGITS), PROBABILITIES, intAttribute("axis", 1));
            graph.addOutput(floatValue(LOGITS, spec.numClasses()));
            graph.addOutput(floatValue(PROBABILITIES, spec.numClasses()));
            return graph.build();
        }

        private void layer(int i, Layer layer, String output) {
            String p = "layer" + i;
            switch (layer) {
                case Layer.Normalize n -> {
                    graph.addInitializer(scalar(p + ".mean", n.mean()));
                    graph.addInitializer(scalar(p + ".std", n.std()));
                    node("Sub", p + "_sub", List.of(current, p + ".mean"), p + ".centred");
                    node("Div", p + "_div", List.of(p + ".centred", p + ".std"), output);
                }
                case Layer.Conv2d conv -> {
                    String weight = weight(p + ".weight");
                    node("Conv", p + "_conv", List.of(current, weight, floatInitializer(p + ".bias")), output,
                            intsAttribute("kernel_shape", conv.kernel(), conv.kernel()),
                            intsAttribute("strides", conv.stride(), conv.stride()),
                            intsAttribute("pads", conv.padding(), conv.padding(), conv.padding(), conv.padding()));
                }
                // BatchNormalization-9 (the opset-13 version) is inference-only: it uses the stored
                // running statistics, as DJL does in inference mode. It accepts [N, C] as well as
                // [N, C, H, W], so the same op serves batch norm after a dense layer.
                case Layer.BatchNorm bn -> node("BatchNormalization", p + "_batchnorm",
                        List.of(current, floatInitializer(p + ".gamma"), floatInitializer(p + ".beta"),
                                floatInitializer(p + ".running_mean"), floatInitializer(p + ".running_var")),
                        output, floatAttribute("epsilon", BATCH_NORM_EPSILON));
                case Layer.Relu r -> node("Relu", p + "_relu", List.of(current), output);
                case Layer.MaxPool pool -> node("MaxPool", p + "_maxpool", List.of(current), output,
                        intsAttribute("kernel_shape", pool.size(), pool.size()),
                        intsAttribute("strides", pool.size(), pool.size()));
                // Dropout is the identity at inference; leaving it out keeps the graph minimal.
                case Layer.Dropout d -> {
                    return;
                }
                // Flatten axis=1 keeps the C,H,W order DJL's batch flatten uses, which the dense
                // weights' input dimension was trained against.
                case Layer.Flatten f -> node("Flatten", p + "_flatten", List.of(current), output,
                        intAttribute("axis", 1));
                // Dense weights are stored (out, in), PyTorch's layout: Gemm reads them transposed.
                case Layer.Dense d -> node("Gemm", p + "_gemm",
                        List.of(current, weight(p + ".weight"), floatInitializer(p + ".bias")), output,
                        intAttribute("transB", 1));
            }
            current = output;
        }

        /** A Conv or Gemm weight: a float initializer, or int8 plus a DequantizeLinear that restores it. */
        private String weight(String name) {
            if (quantization == Quantization.NONE) {
                return floatInitializer(name);
            }
            Tensor tensor = weights.get(name);
            QuantizedTensor q = QuantizedTensor.perOutputChannel(tensor.data(), (int) tensor.shape()[0]);
            graph.addInitializer(TensorProto.newBuilder().setName(name + ".quantized")
                    .setDataType(TensorProto.DataType.INT8_VALUE).addAllDims(dims(tensor.shape()))
                    .setRawData(ByteString.copyFrom(q.values())));
            graph.addInitializer(floatTensor(name + ".scale", new long[] {q.scales().length}, q.scales()));
            // Symmetric quantization: zero points are all 0, given explicitly so that the int8 type
            // and the per-channel layout are stated rather than implied.
            graph.addInitializer(TensorProto.newBuilder().setName(name + ".zero_point")
                    .setDataType(TensorProto.DataType.INT8_VALUE).addDims(q.scales().length)
                    .setRawData(ByteString.copyFrom(new byte[q.scales().length])));
            node("DequantizeLinear", name.replace('.', '_') + "_dequantize",
                    List.of(name + ".quantized", name + ".scale", name + ".zero_point"), name,
                    intAttribute("axis", 0));
            return name;
        }

        private String floatInitializer(String name) {
            Tensor tensor = weights.get(name);
            graph.addInitializer(floatTensor(name, tensor.shape(), tensor.data()));
            return name;
        }

        private void node(String op, String name, List<String> inputs, String output, AttributeProto... attributes) {
            graph.addNode(NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
                    .addAllAttribute(List.of(attributes)));
        }
    }

    private static ValueInfoProto floatValue(String name, long... dimsAfterBatch) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH_DIM));
        for (long d : dimsAfterBatch) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
                .build();
    }

    private static TensorProto scalar(String name, float value) {
        return floatTensor(name, new long[0], new float[] {value});
    }

    /** Raw little-endian bytes (what ONNX specifies for raw_data): compact, and no per-value varint. */
    private static TensorProto floatTensor(String name, long[] shape, float[] data) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(dims(shape)).setRawData(ByteString.copyFrom(bytes.array())).build();
    }

    private static List<Long> dims(long[] shape) {
        return Arrays.stream(shape).boxed().toList();
    }

    private static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static AttributeProto intsAttribute(String name, long... values) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS)
                .addAllInts(Arrays.stream(values).boxed().toList()).build();
    }

    private static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value)
                .build();
    }
}
