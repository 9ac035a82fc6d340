package org.mnistpipeline.export;

import org.mnistpipeline.MnistException;

/** A model that cannot be exported to ONNX: weights that do not fit the architecture, or a missing version. */
public class OnnxExportException extends MnistException {
    public OnnxExportException(String message) {
        super(message);
    }
}
