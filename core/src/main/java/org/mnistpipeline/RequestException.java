package org.mnistpipeline;

/**
 * A request or input refused for a reason with a known status: a malformed body, a size over a
 * limit, an unsupported type, an unknown path, no model loaded yet. The message goes to the
 * client, so it says what to send instead. Thrown by the decoders, the batch formats and the HTTP
 * edges alike; each edge maps it once, by its {@link Kind} (Javalin's {@code HttpResponseException}).
 *
 * <p>Sealed: the subtypes are {@link MethodNotAllowed} and {@link RetryLater}, whose
 * {@code Allow} and {@code Retry-After} headers are part of the answer. (The rest of the family, {@link MnistException}'s other subclasses, live in the
 * packages of what failed, which a sealed root would have to list in its own package.)
 */
public sealed class RequestException extends MnistException
        permits RequestException.MethodNotAllowed, RequestException.RetryLater {
    public RequestException(Kind kind, String message) {
        super(check(kind), message);
    }

    public RequestException(Kind kind, String message, Throwable cause) {
        super(check(kind), message, cause);
    }

    private static Kind check(Kind kind) {
        if (kind.httpStatus() == 500) {
            throw new IllegalArgumentException(kind + " is a failure of ours, not a refused request");
        }
        return kind;
    }

    /** The commonest refusal: input that cannot be read (400). */
    public static RequestException badInput(String message) {
        return new RequestException(Kind.BAD_INPUT, message);
    }

    /** The method is not one the path answers; {@code allow} becomes the {@code Allow} header. */
    public static final class MethodNotAllowed extends RequestException {
        private final String allow;

        public MethodNotAllowed(String method, String path, String allow) {
            super(Kind.METHOD_NOT_ALLOWED, method + " is not allowed on " + path + "; use " + allow);
            this.allow = allow;
        }

        public String allow() {
            return allow;
        }
    }

    /**
     * Unavailable for now (503), with when to ask again: becomes the {@code Retry-After} header.
     * {@code cause}, when given, is why (the edge logs it); null for a refusal that is routine.
     */
    public static final class RetryLater extends RequestException {
        private final java.time.Duration after;

        public RetryLater(String message, java.time.Duration after, Throwable cause) {
            super(Kind.UNAVAILABLE, message, cause);
            this.after = after;
        }

        /** Whole seconds, at least 1, as {@code Retry-After} takes them. */
        public long afterSeconds() {
            return Math.max(1, (after.toMillis() + 999) / 1000);
        }
    }
}
