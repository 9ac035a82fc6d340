package org.mnistpipeline.inference.http;

/**
 * One HTTP request as the shared edge sees it, whatever carried it: the model server's exchange or
 * a Lambda function URL event. Each carrier adapts its own headers and body to this.
 *
 * @param method  upper case, as sent
 * @param path    the raw path (still percent-encoded, so an encoded newline cannot forge log lines)
 * @param headers lookup by lower-case name
 * @param body    read at most once, by the route that needs it
 */
public record HttpRequest(String method, String path, Headers headers, Body body) {
    /** Header values by lower-case name; several values of one header joined with commas; null when absent. */
    @FunctionalInterface
    public interface Headers {
        String get(String lowerCaseName);
    }

    /**
     * The request body. The carrier enforces its own size limit here (the server while reading the
     * socket, the function before decoding base64) and throws a {@link org.mnistpipeline.RequestException}
     * (413, or 400 for a broken body) rather than hold more than the limit.
     */
    @FunctionalInterface
    public interface Body {
        byte[] read();
    }

    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }
}
