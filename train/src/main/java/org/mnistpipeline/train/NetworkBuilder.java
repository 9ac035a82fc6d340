package org.mnistpipeline.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.initializer.ConstantInitializer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Layer;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * Turns an {@link ArchitectureSpec} into a DJL block (one child per spec layer), and moves weights
 * between that block and engine-neutral {@link Tensor}s named {@code layer<i>.<param>}.
 */
public final class NetworkBuilder {
    private NetworkBuilder() {}

    public static SequentialBlock build(ArchitectureSpec spec) {
        SequentialBlock net = new SequentialBlock();
        for (Layer layer : spec.layers()) {
            net.add(block(layer));
        }
        // He initialisation suits ReLU networks; batch norm starts as the identity.
        net.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2f), Parameter.Type.WEIGHT);
        net.setInitializer(new ConstantInitializer(0f), Parameter.Type.BIAS);
        net.setInitializer(new ConstantInitializer(1f), Parameter.Type.GAMMA);
        net.setInitializer(new ConstantInitializer(0f), Parameter.Type.BETA);
        return net;
    }

    /** Builds and initialises on {@code manager} for the spec's input shape. */
    public static SequentialBlock buildInitialized(ArchitectureSpec spec, NDManager manager) {
        SequentialBlock net = build(spec);
        int[] in = spec.input();
        net.initialize(manager, DataType.FLOAT32, new Shape(1, in[0], in[1], in[2]));
        return net;
    }

    private static Block block(Layer layer) {
        return switch (layer) {
            case Layer.Normalize n -> new LambdaBlock(
                    list -> new NDList(list.singletonOrThrow().sub(n.mean()).div(n.std())), "normalize");
            case Layer.Conv2d c -> Conv2d.builder()
                    .setFilters(c.filters())
                    .setKernelShape(new Shape(c.kernel(), c.kernel()))
                    .optStride(new Shape(c.stride(), c.stride()))
                    .optPadding(new Shape(c.padding(), c.padding()))
                    .build();
            case Layer.BatchNorm b -> BatchNorm.builder().optMomentum(0.9f).optEpsilon(1e-5f).build();
            case Layer.Relu r -> Activation.reluBlock();
            case Layer.MaxPool p -> Pool.maxPool2dBlock(new Shape(p.size(), p.size()), new Shape(p.size(), p.size()));
            case Layer.Dropout d -> Dropout.builder().optRate(d.rate()).build();
            case Layer.Flatten f -> Blocks.batchFlattenBlock();
            case Layer.Dense d -> Linear.builder().setUnits(d.units()).build();
        };
    }

    /** Neutral tensor name for a DJL parameter of layer {@code index}. */
    static String tensorName(int index, String djlName) {
        String suffix = switch (djlName) {
            case "runningMean" -> "running_mean";
            case "runningVar" -> "running_var";
            default -> djlName;
        };
        return "layer" + index + "." + suffix;
    }

    /** Copies every parameter (running statistics included) out of the block. */
    public static List<Tensor> exportWeights(SequentialBlock net) {
        List<Tensor> tensors = new ArrayList<>();
        List<Block> children = net.getChildren().values();
        for (int i = 0; i < children.size(); i++) {
            for (var entry : children.get(i).getParameters()) {
                NDArray array = entry.getValue().getArray();
                tensors.add(new Tensor(tensorName(i, entry.getValue().getName()), array.getShape().getShape(),
                        array.toFloatArray()));
            }
        }
        return tensors;
    }

    /** Overwrites the block's parameters with {@code tensors}; every parameter must be present with its shape. */
    public static void importWeights(SequentialBlock net, Map<String, Tensor> tensors) {
        List<Block> children = net.getChildren().values();
        int used = 0;
        for (int i = 0; i < children.size(); i++) {
            for (var entry : children.get(i).getParameters()) {
                Parameter parameter = entry.getValue();
                String name = tensorName(i, parameter.getName());
                Tensor tensor = tensors.get(name);
                NDArray array = parameter.getArray();
                if (tensor == null) {
                    throw new MnistException("weights lack tensor " + name + "; they do not match the architecture");
                }
                if (!new Shape(tensor.shape()).equals(array.getShape())) {
                    throw new MnistException("tensor " + name + " has shape " + new Shape(tensor.shape())
                            + " but the architecture needs " + array.getShape());
                }
                array.set(tensor.data());
                used++;
            }
        }
        if (used != tensors.size()) {
            throw new MnistException("weights hold " + tensors.size() + " tensors but the architecture has " + used);
        }
    }
}
