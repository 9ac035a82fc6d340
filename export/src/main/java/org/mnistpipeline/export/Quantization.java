package org.mnistpipeline.export;

/** How {@link OnnxExporter} stores convolution and dense weights. */
public enum Quantization {
    /** float32 weights: the exported model computes what DJL computes, to rounding error. */
    NONE,
    /**
     * Symmetric int8 weights with one float scale per output channel, expanded back to float32 by a
     * {@code DequantizeLinear} node in front of each Conv and Gemm. The file is about 4x smaller (what
     * matters when a model is shipped to a phone, a browser or a Lambda layer); activations stay
     * float32, so any ONNX runtime runs it without quantized kernels. Biases, batch-norm statistics
     * and normalisation constants stay float32: they are few, and rounding them costs accuracy.
     */
    INT8
}
