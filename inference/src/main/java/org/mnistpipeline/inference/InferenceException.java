package org.mnistpipeline.inference;

import org.mnistpipeline.MnistException;

/**
 * A request the model cannot answer because of its input: the HTTP layer maps these to 4xx with
 * the message, never to 500.
 */
public class InferenceException extends MnistException {
    /** What kind of client mistake it was; decides the HTTP status. */
    public enum Kind { BAD_INPUT, UNSUPPORTED_MEDIA_TYPE, TOO_LARGE }

    private final Kind kind;

    public InferenceException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
