package org.mnistpipeline;

/**
 * Root of the project's unchecked exceptions. Messages are written for the person at the
 * terminal: they say what went wrong and, where possible, what to do next.
 *
 * <p>Every exception carries its {@link Kind}, which says how each edge reports it: the HTTP
 * status the server and the Lambda function answer with, and the exit code of the CLI. Edges map
 * by type and kind only (never by class name or message), in one place each.
 */
public class MnistException extends RuntimeException {
    /**
     * What went wrong, as the edges report it. The one table of statuses and exit codes: an HTTP
     * status under 500 is the client's to fix and its message is shown; 500 is ours, logged with its
     * stack trace and never shown. Exit codes are the CLI's documented ones: 1 unexpected, 2 bad
     * arguments or input, 3 data, 4 not found, 5 model package or registry rule, 6 quality gate,
     * 9 busy (7 and 8 are results of {@code mnist monitor}, not failures).
     */
    public enum Kind {
        /** Input that cannot be read: malformed JSON, a corrupt image, a value out of range. */
        BAD_INPUT(400, 2),
        /** An unknown version, alias, path, run or object. */
        NOT_FOUND(404, 4),
        /** The path exists, the method does not (see {@link RequestException.MethodNotAllowed}). */
        METHOD_NOT_ALLOWED(405, 2),
        /** The client's {@code Accept} rules out every type we answer with. */
        NOT_ACCEPTABLE(406, 2),
        /** Over a size limit: body, pixels, images per request. */
        TOO_LARGE(413, 2),
        /** A content type or file format we do not read. */
        UNSUPPORTED_MEDIA_TYPE(415, 2),
        /** Something this deployment is not configured to do. */
        NOT_IMPLEMENTED(501, 1),
        /** Not now: no model loaded yet, shutting down; retrying later may succeed. */
        UNAVAILABLE(503, 1),
        /** Missing, corrupt or unfetchable data. */
        DATA(500, 3),
        /** A model package failed verification, a registry rule was broken, or another failure of ours. */
        MODEL(500, 5),
        /** A quality gate refused the result. */
        GATE(500, 6),
        /** Another run holds the lock. */
        BUSY(503, 9);

        private final int httpStatus;
        private final int exitCode;

        Kind(int httpStatus, int exitCode) {
            this.httpStatus = httpStatus;
            this.exitCode = exitCode;
        }

        /** The status an HTTP edge answers with. */
        public int httpStatus() {
            return httpStatus;
        }

        /** The exit code of the CLI. */
        public int exitCode() {
            return exitCode;
        }
    }

    private final Kind kind;

    public MnistException(Kind kind, String message) {
        super(message);
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
    }

    public MnistException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
    }

    /** A failure of ours that has no kind of its own: {@link Kind#MODEL}. */
    public MnistException(String message) {
        this(Kind.MODEL, message);
    }

    /** A failure of ours that has no kind of its own: {@link Kind#MODEL}. */
    public MnistException(String message, Throwable cause) {
        this(Kind.MODEL, message, cause);
    }

    public Kind kind() {
        return kind;
    }
}
