package org.mnistpipeline;

/**
 * Root of the project's unchecked exceptions. Messages are written for the person at the
 * terminal: they say what went wrong and, where possible, what to do next.
 */
public class MnistException extends RuntimeException {
    public MnistException(String message) {
        super(message);
    }

    public MnistException(String message, Throwable cause) {
        super(message, cause);
    }
}
