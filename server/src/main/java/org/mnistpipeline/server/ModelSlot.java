package org.mnistpipeline.server;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model requests are answered with, swapped atomically by a reload. Requests
 * {@link #acquire()} a reference and release it when done, so a swap never closes a model under a
 * request and never makes one wait.
 */
final class ModelSlot implements AutoCloseable {
    private final AtomicReference<ServedModel> current = new AtomicReference<>();

    /** A reference to the current model, to be {@link ServedModel#release() released}; empty before the first load. */
    Optional<ServedModel> acquire() {
        while (true) {
            ServedModel model = current.get();
            if (model == null) {
                return Optional.empty();
            }
            if (model.tryRetain()) {
                return Optional.of(model);
            }
            // Lost a race with a swap that released this one: the slot already holds its successor.
        }
    }

    /** The current model without taking a reference: for descriptions, not for predictions. */
    Optional<ServedModel> peek() {
        return Optional.ofNullable(current.get());
    }

    /** Makes {@code model} current; the previous one is closed once its last request finishes. */
    void swap(ServedModel model) {
        ServedModel previous = current.getAndSet(model);
        if (previous != null) {
            previous.release();
        }
    }

    /** Releases the slot's reference to the current model. */
    @Override
    public void close() {
        ServedModel previous = current.getAndSet(null);
        if (previous != null) {
            previous.release();
        }
    }
}
