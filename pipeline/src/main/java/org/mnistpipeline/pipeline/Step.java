package org.mnistpipeline.pipeline;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/**
 * One step of the pipeline: a function from a JSON-shaped input to a JSON-shaped output. The
 * input record's components are named after the pipeline state's fields ({@code request},
 * {@code decide}, ...), so the runner, a CLI call or a Step Functions task can build it from the
 * state document alone. Steps are idempotent: running one again after a crash finds or finishes
 * the work it began instead of doing it twice.
 */
public interface Step<I, O> {

    String name();

    /** The input record's class: the {@code I} a step names where it implements this interface. */
    @SuppressWarnings("unchecked")
    default Class<I> inputType() {
        for (Type type : getClass().getGenericInterfaces()) {
            if (type instanceof ParameterizedType p && p.getRawType() == Step.class
                    && p.getActualTypeArguments()[0] instanceof Class<?> input) {
                return (Class<I>) input;
            }
        }
        throw new IllegalStateException(getClass().getName() + " implements Step without naming its input type;"
                + " override inputType()");
    }

    O run(I input, StepContext context);
}
