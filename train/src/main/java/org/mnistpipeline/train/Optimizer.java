package org.mnistpipeline.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.model.Hyperparameters;

/**
 * AdamW or SGD with momentum over a block's trainable parameters. DJL's fused native update ops
 * do the arithmetic (one JNI call per parameter); this class owns the moment buffers so they can
 * be checkpointed and a resumed run continues exactly where it stopped. Weight decay applies to
 * weights only, not to biases or batch-norm scales, as is usual.
 */
final class Optimizer {
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final Hyperparameters.Optimizer kind;
    private final float weightDecay;
    private final float momentum;
    private final List<Parameter> parameters = new ArrayList<>();
    private final List<NDArray> first = new ArrayList<>();
    private final List<NDArray> second = new ArrayList<>();
    private long steps;

    Optimizer(Hyperparameters hp, Block net, NDManager manager) {
        this.kind = hp.optimizer();
        this.weightDecay = hp.weightDecay();
        this.momentum = hp.momentum();
        for (var entry : net.getParameters()) {
            Parameter p = entry.getValue();
            if (p.requiresGradient()) {
                parameters.add(p);
                first.add(manager.zeros(p.getArray().getShape()));
                second.add(kind == Hyperparameters.Optimizer.ADAMW ? manager.zeros(p.getArray().getShape()) : null);
            }
        }
    }

    long steps() {
        return steps;
    }

    /** Applies one update with learning rate {@code lr} and clears the gradients. */
    void step(float lr) {
        steps++;
        double correction1 = 1 - Math.pow(BETA1, steps);
        double correction2 = 1 - Math.pow(BETA2, steps);
        float lrCorrected = (float) (lr * Math.sqrt(correction2) / correction1);
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            NDArray weight = p.getArray();
            NDArray grad = weight.getGradient();
            float decay = p.getType() == Parameter.Type.WEIGHT ? weightDecay : 0f;
            if (kind == Hyperparameters.Optimizer.ADAMW) {
                weight.getNDArrayInternal().adamUpdate(new NDList(weight, grad, first.get(i), second.get(i)),
                        new NDList(weight), lr, lrCorrected, decay, 1f, -1f, BETA1, BETA2, EPSILON, true, true);
            } else {
                weight.getNDArrayInternal().sgdUpdate(new NDList(weight, grad, first.get(i)), new NDList(weight), lr,
                        decay, 1f, -1f, momentum, true);
            }
            grad.close();
        }
    }

    void save(DataOutputStream out) throws IOException {
        out.writeUTF(kind.name());
        out.writeLong(steps);
        out.writeInt(parameters.size());
        for (int i = 0; i < parameters.size(); i++) {
            writeArray(out, first.get(i));
            if (second.get(i) != null) {
                writeArray(out, second.get(i));
            }
        }
    }

    void load(DataInputStream in) throws IOException {
        String savedKind = in.readUTF();
        if (!savedKind.equals(kind.name())) {
            throw new MnistException("checkpoint was made with optimizer " + savedKind + ", not " + kind);
        }
        steps = in.readLong();
        if (in.readInt() != parameters.size()) {
            throw new MnistException("checkpoint optimizer state does not match the network");
        }
        for (int i = 0; i < parameters.size(); i++) {
            readArray(in, first.get(i));
            if (second.get(i) != null) {
                readArray(in, second.get(i));
            }
        }
    }

    private static void writeArray(DataOutputStream out, NDArray array) throws IOException {
        float[] values = array.toFloatArray();
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }
    }

    private static void readArray(DataInputStream in, NDArray array) throws IOException {
        int n = in.readInt();
        if (n != array.size()) {
            throw new MnistException("checkpoint optimizer state has " + n + " values where " + array.size()
                    + " are needed");
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = in.readFloat();
        }
        array.set(values);
    }
}
