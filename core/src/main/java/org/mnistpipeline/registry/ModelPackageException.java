package org.mnistpipeline.registry;

import org.mnistpipeline.MnistException;

/**
 * A model package that cannot be trusted or read: a missing, extra, truncated or tampered file,
 * or a format version this build does not know. The message names the package and the file.
 */
public class ModelPackageException extends MnistException {
    public ModelPackageException(String message) {
        super(message);
    }

    public ModelPackageException(String message, Throwable cause) {
        super(message, cause);
    }
}
