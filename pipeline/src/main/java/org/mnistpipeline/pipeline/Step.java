package org.mnistpipeline.pipeline;

/**
 * One step of the pipeline: a function from a JSON-shaped input to a JSON-shaped output. The
 * input record's components are named after the pipeline state's fields ({@code request},
 * {@code decide}, ...), so the runner, a CLI call or a Step Functions task can build it from the
 * state document alone. Steps are idempotent: running one again after a crash finds or finishes
 * the work it began instead of doing it twice.
 */
public interface Step<I, O> {

    String name();

    Class<I> inputType();

    O run(I input, StepContext context);
}
