package org.mnistpipeline.pipeline.graph;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.mnistpipeline.data.DataException;

/**
 * The error names a step's failure carries, in a graph's Retry and Catch lists and on the task
 * contract ({@code mnist retrain step} prints {@code {"errorType": NAME, "errorMessage": ...}},
 * the shape of a Lambda function's error). One mapping, so the local runner and a Step Functions
 * execution retry and catch the same failures.
 */
public final class StepErrors {
    /** Missing, unreadable or unusable data: retrying will not help. */
    public static final String DATA = "mnist.DataError";
    /** An I/O failure, possibly passing (a full disk being cleared, a flaky mount). */
    public static final String IO = "mnist.IOError";
    /** Anything else a step raises. */
    public static final String STEP = "mnist.StepError";

    private StepErrors() {}

    public static String name(Throwable e) {
        if (e instanceof JsonPaths.StatesException s) {
            return s.error();
        }
        if (e instanceof DataException) {
            return DATA;
        }
        if (e instanceof UncheckedIOException || e instanceof IOException) {
            return IO;
        }
        return STEP;
    }
}
