package org.mnistpipeline.registry;

import java.nio.file.Path;

/** Runs in a child JVM so tests can race two processes on one registry: {@code root staged count}. */
public final class RegisterMain {
    private RegisterMain() {}

    public static void main(String[] args) {
        LocalModelRegistry registry = new LocalModelRegistry(Path.of(args[0]));
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            System.out.println(registry.register(Path.of(args[1])).version());
        }
    }
}
