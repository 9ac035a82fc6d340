package org.mnistpipeline.lambda;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.mnistpipeline.inference.ForwardingPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;

/**
 * A real predictor that counts the images it runs, can claim another model version, and can be
 * held at a gate so that concurrent requests pile up behind one computation.
 */
final class CountingPredictor extends ForwardingPredictor {
    private final String version;
    final AtomicInteger images = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();
    volatile CountDownLatch gate;
    final CountDownLatch entered = new CountDownLatch(1);

    CountingPredictor(Predictor delegate) {
        this(delegate, delegate.modelVersion());
    }

    CountingPredictor(Predictor delegate, String version) {
        super(delegate);
        this.version = version;
    }

    @Override
    public Prediction predict(float[] image) {
        return predictBatch(List.of(image)).getFirst();
    }

    @Override
    public List<Prediction> predictBatch(List<float[]> batch) {
        calls.incrementAndGet();
        images.addAndGet(batch.size());
        entered.countDown();
        CountDownLatch g = gate;
        if (g != null) {
            try {
                g.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return delegate.predictBatch(batch).stream()
                .map(p -> new Prediction(p.label(), p.confidence(), p.probabilities(), version, p.latencyMicros()))
                .toList();
    }

    @Override
    public String modelVersion() {
        return version;
    }
}
