package org.mnistpipeline.inference.http;

import org.mnistpipeline.MnistException;
import org.mnistpipeline.RequestException;

/**
 * The one exception→response step of the HTTP edges (model server and Lambda function): the
 * status comes from the exception's {@link MnistException.Kind}; anything else is our fault: 500,
 * logged with its stack trace, and a message that gives nothing internal away.
 */
public final class HttpErrors {
    /** What the client is told when the server itself failed. */
    public static final String INTERNAL_MESSAGE = "internal error; the server log has the details";

    /** Where an edge's log lines go; each carrier has its own (slf4j, CloudWatch JSON lines). */
    @FunctionalInterface
    public interface Log {
        /** A failure of ours: logged with {@code error}'s stack trace. */
        void error(String message, Throwable error);

        /** A refusal that is routine (a client mistake, a 503 while loading): at most a debug line. */
        default void refused(String message) {}
    }

    private HttpErrors() {}

    /** The HTTP status for a failure while answering a request. */
    public static int status(Throwable error) {
        return error instanceof MnistException known ? known.kind().httpStatus() : 500;
    }

    /** The message for the client: the exception's own for expected failures, a generic one otherwise. */
    public static String clientMessage(Throwable error) {
        int status = status(error);
        if (status == 500 || error.getMessage() == null || error.getMessage().isBlank()) {
            return status == 500 ? INTERNAL_MESSAGE : "request refused (" + status + ")";
        }
        return error.getMessage();
    }

    /** {@code {"error": ...}} with its status, the {@code Allow} header of a 405 and the {@code Retry-After} of a shed 503. */
    public static HttpResponse response(Throwable error) {
        HttpResponse response = HttpResponse.error(status(error), clientMessage(error));
        if (error instanceof RequestException.MethodNotAllowed notAllowed) {
            return response.withHeader("allow", notAllowed.allow());
        }
        if (error instanceof RequestException.RetryLater later) {
            return response.withHeader("retry-after", later.retryAfterHeader());
        }
        return response;
    }

    /**
     * The log policy, the same on every edge: a 5xx is ours and logged with its stack trace; a 503
     * logs its cause when it has one (why the model could not be loaded), otherwise it is routine
     * (loading, draining), as are 501 (not configured: the answer says so) and every 4xx.
     */
    public static void log(Throwable error, String what, Log log) {
        int status = status(error);
        if (status == 503 && error.getCause() != null) {
            log.error(what + " failed with 503", error.getCause());
        } else if (status >= 500 && status != 503 && status != 501) {
            log.error(what + " failed with " + status, error);
        } else {
            log.refused(what + " refused with " + status + ": " + error.getMessage());
        }
    }
}
