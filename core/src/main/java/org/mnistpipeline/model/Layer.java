package org.mnistpipeline.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One layer of a declarative network spec. The spec is stored in every model package so the
 * same network can be rebuilt by any engine: DJL for training, an ONNX graph for serving.
 * Weight layouts follow PyTorch: conv weights OIHW, dense weights (out, in), flatten order C,H,W.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Layer.Normalize.class, name = "normalize"),
    @JsonSubTypes.Type(value = Layer.Conv2d.class, name = "conv2d"),
    @JsonSubTypes.Type(value = Layer.BatchNorm.class, name = "batchnorm"),
    @JsonSubTypes.Type(value = Layer.Relu.class, name = "relu"),
    @JsonSubTypes.Type(value = Layer.MaxPool.class, name = "maxpool"),
    @JsonSubTypes.Type(value = Layer.Dropout.class, name = "dropout"),
    @JsonSubTypes.Type(value = Layer.Flatten.class, name = "flatten"),
    @JsonSubTypes.Type(value = Layer.Dense.class, name = "dense"),
})
public sealed interface Layer {

    /**
     * Input normalisation, {@code (x - mean) / std}, inside the network: the model then takes
     * pixels in [0, 1] and every engine that runs it normalises exactly as training did.
     */
    record Normalize(float mean, float std) implements Layer {
        public Normalize {
            require(std > 0, "normalize std must be positive");
        }
    }

    /** 2-D convolution with bias; square kernel. */
    record Conv2d(int filters, int kernel, int stride, int padding) implements Layer {
        public Conv2d {
            require(filters > 0 && kernel > 0 && stride > 0 && padding >= 0, "conv2d needs positive filters/kernel/stride");
        }
    }

    /** Batch normalisation over channels (conv) or features (dense). */
    record BatchNorm() implements Layer {}

    record Relu() implements Layer {}

    /** Max pooling with a square window and stride equal to the window. */
    record MaxPool(int size) implements Layer {
        public MaxPool {
            require(size > 1, "maxpool size must be > 1");
        }
    }

    /** Dropout with drop probability {@code rate}; identity at inference. */
    record Dropout(float rate) implements Layer {
        public Dropout {
            require(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)");
        }
    }

    record Flatten() implements Layer {}

    /** Fully connected layer with bias. */
    record Dense(int units) implements Layer {
        public Dense {
            require(units > 0, "dense units must be positive");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
