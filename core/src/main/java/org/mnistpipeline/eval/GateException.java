package org.mnistpipeline.eval;

import org.mnistpipeline.MnistException;

/** A candidate model failed a quality gate (e.g. too much accuracy lost to quantization). */
public class GateException extends MnistException {
    public GateException(String message) {
        super(Kind.GATE, message);
    }
}
