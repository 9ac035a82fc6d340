package org.mnistpipeline.inference.fuzz;

import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.hostile.HostileInputs;

/** What every fuzz target checks of an expected refusal. */
public final class Fuzzing {
    private Fuzzing() {}

    /** A refusal is a client status with a message that names no Java or Jackson internals. */
    public static void checkMessage(RequestException e) {
        int status = e.kind().httpStatus();
        if (status < 400 || status >= 500) {
            throw new AssertionError("refused with " + status + ": " + e.getMessage(), e);
        }
        // Quoted text ('NaN', a CSV token) is the input's own, echoed back: the fuzzer may write anything there.
        if (e.getMessage() == null || HostileInputs.INTERNALS.matcher(e.getMessage().replaceAll("'[^']*'", "")).find()) {
            throw new AssertionError("message shows internals: " + e.getMessage(), e);
        }
    }
}
