package org.mnistpipeline.inference.http;

import org.mnistpipeline.inference.InferenceException;

/**
 * The one exception→status table of the HTTP edges (model server and Lambda function), most
 * specific first. Engine- and server-free on purpose, so both answer the same mistakes with the same
 * statuses.
 * Anything not listed is our fault: 500, logged with its stack trace, and a message that gives
 * nothing internal away.
 */
public final class HttpErrors {
    /** What the client is told when the server itself failed. */
    public static final String INTERNAL_MESSAGE = "internal error; the server log has the details";

    private HttpErrors() {}

    /** The HTTP status for a failure while answering a request. */
    public static int status(Throwable error) {
        if (error instanceof HttpException http) {
            return http.status();
        }
        if (error instanceof InferenceException inference) {
            return switch (inference.kind()) {
                case BAD_INPUT -> 400;
                case UNSUPPORTED_MEDIA_TYPE -> 415;
                case TOO_LARGE -> 413;
            };
        }
        return 500;
    }

    /** The message for the client: the exception's own for expected failures, a generic one otherwise. */
    public static String clientMessage(Throwable error) {
        int status = status(error);
        if (status == 500 || error.getMessage() == null || error.getMessage().isBlank()) {
            return status == 500 ? INTERNAL_MESSAGE : "request refused (" + status + ")";
        }
        return error.getMessage();
    }
}
