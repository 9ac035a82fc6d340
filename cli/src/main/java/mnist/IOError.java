package mnist;

/**
 * A step's failure as the step-runner function raises it: {@value org.mnistpipeline.pipeline.graph.StepErrors#IO}.
 * An I/O failure that may pass; the graph retries it. Lambda reports a Java handler's error under the exception's
 * class name, and Step Functions' Retry and Catch rules match that name, so this class is named (package {@code
 * mnist}, class {@code IOError}) exactly as the graph's error is.
 */
public final class IOError extends RuntimeException {
    public IOError(String message, Throwable cause) {
        super(message, cause);
    }
}
