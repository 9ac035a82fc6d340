package org.mnistpipeline.cli;

import org.mnistpipeline.MnistException;
import org.mnistpipeline.data.DataException;

/** The CLI's exit codes, one place. */
public final class ExitCodes {
    public static final int OK = 0;
    /** Anything unexpected. */
    public static final int FAILURE = 1;
    /** Bad flags or arguments (picocli's own code). */
    public static final int USAGE = 2;
    /** Missing, corrupt or unfetchable data. */
    public static final int DATA = 3;
    /** Unknown model version or alias. */
    public static final int NOT_FOUND = 4;
    /** A model package failed verification, or a registry rule was broken. */
    public static final int MODEL = 5;
    /** A quality gate refused the result (e.g. accuracy below a required floor). */
    public static final int GATE = 6;
    /** {@code mnist monitor}: served predictions have drifted from the model's baseline. */
    public static final int DRIFT = 7;
    /** {@code mnist monitor}: too few predictions in the window to tell drift from noise. */
    public static final int INSUFFICIENT_DATA = 8;
    /** {@code mnist retrain}: another retraining run holds the pipeline lock. */
    public static final int BUSY = 9;

    private ExitCodes() {}

    static int of(Throwable e) {
        if (e instanceof DataException) {
            return DATA;
        }
        if (e instanceof org.mnistpipeline.eval.GateException) {
            return GATE;
        }
        String type = e.getClass().getSimpleName();
        if (type.contains("NotFound")) {
            return NOT_FOUND;
        }
        if (e instanceof IllegalArgumentException) {
            return USAGE;
        }
        if (e instanceof MnistException) {
            return MODEL;
        }
        return FAILURE;
    }
}
