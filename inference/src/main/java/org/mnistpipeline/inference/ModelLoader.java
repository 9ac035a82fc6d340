package org.mnistpipeline.inference;

/**
 * Finds a model and hands over its ONNX bytes and version, checked and ready for
 * {@link OnnxPredictor#fromBytes}. Where models come from (a local package, S3, a SageMaker
 * {@code /opt/ml/model} directory) stays behind this interface, so the server and the Lambda
 * function build predictors the same way whatever the source.
 */
public interface ModelLoader {
    /**
     * Loads the model. Throws {@link org.mnistpipeline.registry.ModelPackageException} when it is
     * missing, incomplete or fails its checksums.
     */
    LoadedModel load();
}
