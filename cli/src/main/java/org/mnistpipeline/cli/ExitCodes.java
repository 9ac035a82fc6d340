package org.mnistpipeline.cli;

import org.mnistpipeline.MnistException;
import org.mnistpipeline.MnistException.Kind;
import picocli.CommandLine;

/**
 * The CLI's exit codes and its one exception→exit-code mapper. The codes of failures come from
 * {@link Kind}, the table the HTTP edges read their statuses from; the rest are results.
 */
public final class ExitCodes implements CommandLine.IExitCodeExceptionMapper {
    public static final int OK = 0;
    /** Anything unexpected. */
    public static final int FAILURE = 1;
    /** Bad flags or arguments (picocli's own code). */
    public static final int USAGE = 2;
    /** Missing, corrupt or unfetchable data. */
    public static final int DATA = Kind.DATA.exitCode();
    /** Unknown model version or alias. */
    public static final int NOT_FOUND = Kind.NOT_FOUND.exitCode();
    /** A model package failed verification, or a registry rule was broken. */
    public static final int MODEL = Kind.MODEL.exitCode();
    /** A quality gate refused the result (e.g. accuracy below a required floor). */
    public static final int GATE = Kind.GATE.exitCode();
    /** {@code mnist monitor}: served predictions have drifted from the model's baseline. */
    public static final int DRIFT = 7;
    /** {@code mnist monitor}: too few predictions in the window to tell drift from noise. */
    public static final int INSUFFICIENT_DATA = 8;
    /** {@code mnist retrain}: another retraining run holds the pipeline lock. */
    public static final int BUSY = Kind.BUSY.exitCode();

    @Override
    public int getExitCode(Throwable exception) {
        return of(exception);
    }

    /** The exit code for a failure, by type: our own exceptions carry theirs. */
    static int of(Throwable e) {
        return switch (e) {
            case MnistException m -> m.kind().exitCode();
            case CommandLine.ParameterException p -> USAGE;
            case IllegalArgumentException i -> USAGE;
            default -> FAILURE;
        };
    }
}
