package org.mnistpipeline.registry;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * A child JVM for crash tests: runs one registry operation and, on reaching the named step, says
 * so on stdout and blocks, so the test can kill it there with SIGKILL: no {@code finally}, no
 * shutdown hook, no buffered write flushed.
 *
 * <pre>CrashingRegistryMain ROOT STEP register STAGED | promote VERSION ALIAS | rollback ALIAS
 *     | delete VERSION | add-onnx VERSION</pre>
 */
public final class CrashingRegistryMain {
    static final String REACHED = "reached ";

    private CrashingRegistryMain() {}

    public static void main(String[] args) throws InterruptedException {
        CrashPoints.Step crashAt = CrashPoints.Step.valueOf(args[1]);
        LocalModelRegistry registry = new LocalModelRegistry(Path.of(args[0]), Clock.systemUTC(), step -> {
            if (step == crashAt) {
                System.out.println(REACHED + step);
                System.out.flush();
                block();
            }
        });
        switch (args[2]) {
            case "register" -> registry.register(Path.of(args[3]));
            case "promote" -> registry.promote(args[3], args[4]);
            case "rollback" -> registry.rollback(args[3]);
            case "delete" -> registry.delete(args[3]);
            case "add-onnx" -> registry.addFiles(args[3], Map.of("model.onnx", new byte[] {1, 2, 3}));
            default -> throw new IllegalArgumentException("unknown operation " + args[2]);
        }
        System.out.println("finished without reaching " + crashAt);
    }

    private static void block() {
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
