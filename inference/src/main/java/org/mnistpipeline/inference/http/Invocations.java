package org.mnistpipeline.inference.http;

import java.util.List;
import org.mnistpipeline.RequestException;

/**
 * {@code POST /invocations} on both edges: JSON must be acceptable, the content type supported
 * and a model loaded before the body is read; then the body is decoded and scored. Only scoring
 * differs by carrier (the server's hot-swapped model, the function's prediction cache).
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

    public Invocations(InputDecoder decoder, Scorer scorer) {
        this.decoder = decoder;
        this.scorer = scorer;
    }

    @Override
    public HttpResponse handle(HttpRequest request) {
        InputDecoder.requireJsonAccepted(request.header("accept"));
        String contentType = request.header("content-type");
        decoder.checkSupported(contentType);
        scorer.requireModel();
        List<float[]> images = decoder.decode(contentType, request.body().read());
        if (images.isEmpty()) {
            throw RequestException.badInput("the request holds no images");
        }
        return scorer.score(images);
    }
}
