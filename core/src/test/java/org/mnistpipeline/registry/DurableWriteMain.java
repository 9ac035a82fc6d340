package org.mnistpipeline.registry;

import java.nio.file.Path;
import org.mnistpipeline.io.AtomicFiles;

/**
 * A child JVM for {@link DurableRenameTest}, run under strace: {@code write FILE} (an atomic file
 * write), {@code promote ROOT VERSION ALIAS} or {@code register ROOT STAGED}.
 */
public final class DurableWriteMain {
    private DurableWriteMain() {}

    public static void main(String[] args) {
        switch (args[0]) {
            case "write" -> AtomicFiles.writeString(Path.of(args[1]), "{\"durable\": true}\n");
            case "promote" -> new LocalModelRegistry(Path.of(args[1])).promote(args[2], args[3]);
            case "register" -> new LocalModelRegistry(Path.of(args[1])).register(Path.of(args[2]));
            default -> throw new IllegalArgumentException("unknown operation " + args[0]);
        }
    }
}
