package org.mnistpipeline.lambda;

import java.util.Optional;
import java.util.function.Function;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;

/**
 * The function's one model, loaded once on first use. A failed load is not remembered: the next
 * request tries again, and each is answered 503 meanwhile, so a fixed deployment heals without
 * a crash loop.
 */
final class ModelHolder {
    private final ModelLoader loader;
    private final Function<LoadedModel, Predictor> predictors;
    private volatile Predictor predictor;

    ModelHolder(ModelLoader loader, Function<LoadedModel, Predictor> predictors) {
        this.loader = loader;
        this.predictors = predictors;
    }

    /** The predictor, loading the model if needed; 503 when it cannot be loaded. */
    Predictor get() {
        Predictor p = predictor;
        if (p != null) {
            return p;
        }
        synchronized (this) {
            if (predictor == null) {
                try {
                    predictor = predictors.apply(loader.load());
                } catch (RuntimeException e) {
                    // 503: the client may retry; the details (paths, checksums) stay in the log.
                    throw new RequestException(Kind.UNAVAILABLE, "the model could not be loaded; retry later, and"
                            + " see the function log for why", e);
                }
            }
            return predictor;
        }
    }

    Optional<Predictor> peek() {
        return Optional.ofNullable(predictor);
    }
}
