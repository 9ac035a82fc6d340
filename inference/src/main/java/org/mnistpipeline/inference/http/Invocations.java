package org.mnistpipeline.inference.http;

import java.util.List;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.MemoryBudget;

/**
 * {@code POST /invocations} on both edges: JSON must be acceptable, the content type supported
 * and a model loaded before the body is read; the body's memory is reserved before it is read
 * (its {@code Content-Length}, else the carrier's body limit) and the decode's before it is
 * decoded, from the one {@link MemoryBudget} of the server or function: a request over it is
 * answered 503 with {@code Retry-After} before any work starts. Then the body is decoded and
 * scored. Only scoring differs by carrier (the server's hot-swapped model, the function's
 * prediction cache).
 */
public final class Invocations implements HttpEdge.Handler {
    /** Runs the model on decoded images. */
    public interface Scorer {
        /** Throws a 503 {@link RequestException} when no model is loaded; called before the body is read. */
        void requireModel();

        /** The 200 answer for {@code images} (at least one). */
        HttpResponse score(List<float[]> images);
    }

    private final InputDecoder decoder;
    private final Scorer scorer;
    private final long maxBodyBytes;

    /** {@code maxBodyBytes}: the carrier's body limit, reserved for a body of undeclared length. */
    public Invocations(InputDecoder decoder, Scorer scorer, long maxBodyBytes) {
        this.decoder = decoder;
        this.scorer = scorer;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public HttpResponse handle(HttpRequest request) {
        InputDecoder.requireJsonAccepted(request.header("accept"));
        String contentType = request.header("content-type");
        decoder.checkSupported(contentType);
        scorer.requireModel();
        try (MemoryBudget.Lease lease = decoder.budget().lease()) {
            long expected = expectedBodyBytes(request.header("content-length"));
            lease.reserve(expected, "a request body of " + expected + " bytes", "send fewer images per request");
            byte[] body = request.body().read();
            lease.reserve(body.length - expected, "a request body of " + body.length + " bytes",
                    "send fewer images per request");
            List<float[]> images = decoder.decode(contentType, body, lease);
            if (images.isEmpty()) {
                throw RequestException.badInput("the request holds no images");
            }
            return scorer.score(images);
        }
    }

    /** The declared length when it is a number within the limit (the carrier refuses others), else the limit. */
    private long expectedBodyBytes(String contentLength) {
        if (contentLength != null) {
            try {
                long declared = Long.parseLong(contentLength.trim());
                if (declared >= 0 && declared <= maxBodyBytes) {
                    return declared;
                }
            } catch (NumberFormatException e) {
                // the carrier answers 400 when it reads the body
            }
        }
        return maxBodyBytes;
    }
}
