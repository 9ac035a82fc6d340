package mnist;

/**
 * A step's failure as the step-runner function raises it: {@value
 * org.mnistpipeline.pipeline.graph.StepErrors#STEP}. Any other failure of a step. Lambda reports a Java handler's
 * error under the exception's class name, and Step Functions' Retry and Catch rules match that name, so this class
 * is named (package {@code mnist}, class {@code StepError}) exactly as the graph's error is.
 */
public final class StepError extends RuntimeException {
    public StepError(String message, Throwable cause) {
        super(message, cause);
    }
}
