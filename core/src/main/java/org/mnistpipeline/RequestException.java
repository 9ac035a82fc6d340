package org.mnistpipeline;

/**
 * A request or input refused for a reason with a known status: a malformed body, a size over a
 * limit, an unsupported type, an unknown path, no model loaded yet. The message goes to the
 * client, so it says what to send instead. Thrown by the decoders, the batch formats and the HTTP
 * edges alike; each edge maps it once, by its {@link Kind} (Javalin's {@code HttpResponseException}).
 *
 * <p>Sealed: the subtypes are those whose answer carries a header: {@link MethodNotAllowed}
 * ({@code Allow}) and {@link RetryLater} ({@code Retry-After}). (The rest of the family, {@link MnistException}'s other subclasses, live in the
 * packages of what failed, which a sealed root would have to list in its own package.)
 */
public sealed class RequestException extends MnistException permits RequestException.MethodNotAllowed,
        RequestException.RetryLater {
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

    /**
     * The sender's own text, as a message may show it back: in single quotes, printable ASCII only
     * (anything else, and quotes, as {@code ?}), at most {@code max} characters then an ellipsis.
     * Whatever a client sends, what comes back stays short and cannot pass for our own words.
     */
    public static String quote(String text, int max) {
        String safe = text.replaceAll("[^\\x20-\\x7e]|'", "?");
        return "'" + (safe.length() > max ? safe.substring(0, max) + "…" : safe) + "'";
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
     * Not now, but soon (503): over the admission budget, refused before starting the work, or no model
     * loaded yet. The {@code Retry-After} header tells clients and load balancers when to try again, and
     * SageMaker reports it to its caller as a retryable error. {@code cause}, when given, is why (the edge
     * logs it); null for a refusal that is routine.
     */
    public static final class RetryLater extends RequestException {
        private final java.time.Duration retryAfter;

        public RetryLater(String message, java.time.Duration retryAfter) {
            this(message, retryAfter, null);
        }

        public RetryLater(String message, java.time.Duration retryAfter, Throwable cause) {
            super(Kind.UNAVAILABLE, message, cause);
            if (retryAfter.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, got " + retryAfter);
            }
            this.retryAfter = retryAfter;
        }

        public java.time.Duration retryAfter() {
            return retryAfter;
        }

        /** Whole seconds, at least 1 (a client reading 0 would retry at once). */
        public long afterSeconds() {
            return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        }

        /** The header's value: {@link #afterSeconds()}. */
        public String retryAfterHeader() {
            return Long.toString(afterSeconds());
        }
    }
}
