package org.mnistpipeline.inference.http;

import org.mnistpipeline.MnistException;

/**
 * A request the server refuses for a reason it knows the HTTP status of (Javalin's
 * {@code HttpResponseException}). The message goes to the client, so it says what to do instead.
 */
public class HttpException extends MnistException {
    private final int status;

    public HttpException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static HttpException notFound(String message) {
        return new HttpException(404, message);
    }

    public static HttpException tooLarge(String message) {
        return new HttpException(413, message);
    }

    public static HttpException unsupportedMediaType(String message) {
        return new HttpException(415, message);
    }

    public static HttpException notAcceptable(String message) {
        return new HttpException(406, message);
    }

    public static HttpException unavailable(String message) {
        return new HttpException(503, message);
    }

    /** The method is not one the path answers; {@code allow} becomes the {@code Allow} header. */
    public static final class MethodNotAllowed extends HttpException {
        private final String allow;

        public MethodNotAllowed(String method, String path, String allow) {
            super(405, method + " is not allowed on " + path + "; use " + allow);
            this.allow = allow;
        }

        public String allow() {
            return allow;
        }
    }
}
