package org.mnistpipeline.inference.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The drawing page ({@code GET /}), one self-contained HTML file served by both edges: the model
 * server and the Lambda function (through CloudFront). The page asks {@code ping} for the model
 * version and POSTs each drawing to {@code invocations} as a PNG, with {@code x-amz-content-sha256}
 * set to the SHA-256 of the exact body bytes where the browser offers {@code crypto.subtle} (secure
 * contexts: HTTPS, localhost): CloudFront's origin access control signs a POST to a Lambda function
 * URL only with that header, and the server ignores it.
 */
public final class DrawingPage {
    /** Where the page lives in this module's jar. */
    static final String RESOURCE = "drawing-page.html";
    /** The page may talk to the origin that served it only: no other origin, even if someone edits it. */
    static final String POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' blob: data:; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";

    private DrawingPage() {}

    /** The page as a complete answer with its content security policy; read from the jar on each call. */
    public static HttpResponse response() {
        try (InputStream in = DrawingPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the mnist-inference jar");
            }
            return new HttpResponse(200, "text/html; charset=utf-8", in.readAllBytes(),
                    Map.of("content-security-policy", POLICY), 0, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
