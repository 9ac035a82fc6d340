package mnist;

/**
 * A step's failure as the step-runner function raises it: {@value
 * org.mnistpipeline.pipeline.graph.StepErrors#DATA}. Missing, unreadable or unusable data; retrying will not help.
 * Lambda reports a Java handler's error under the exception's class name, and Step Functions' Retry and Catch
 * rules match that name, so this class is named (package {@code mnist}, class {@code DataError}) exactly as the
 * graph's error is.
 */
public final class DataError extends RuntimeException {
    public DataError(String message, Throwable cause) {
        super(message, cause);
    }
}
