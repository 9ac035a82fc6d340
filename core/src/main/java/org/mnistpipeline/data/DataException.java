package org.mnistpipeline.data;

import org.mnistpipeline.MnistException;

/** Data that is missing, corrupt or inconsistent. */
public class DataException extends MnistException {
    public DataException(String message) {
        super(Kind.DATA, message);
    }

    public DataException(String message, Throwable cause) {
        super(Kind.DATA, message, cause);
    }
}
