package org.mnistpipeline.pipeline.ingest;

import java.nio.file.Path;
import java.time.Clock;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.pipeline.ChildJvm;

/**
 * {@code IngestMain STORE SOURCE [CRASH_STEP]}: one {@code data ingest} in a child JVM. Prints
 * {@code stored ID accepted N} and one {@code refused RECORD KIND: REASON} line per refusal; with a
 * crash step it blocks there (see {@link ChildJvm}). Exits 3 when nothing was acceptable.
 */
public final class IngestMain {
    private IngestMain() {}

    public static void main(String[] args) {
        String crashAt = args.length > 2 ? args[2] : null;
        DataStore store = new DataStore(Path.of(args[0]), Clock.systemUTC(), new ImagePreprocessor(), step -> {
            if (step.equals(crashAt)) {
                ChildJvm.reachedAndBlock(step);
            }
        });
        try {
            IngestResult result = store.ingest(Path.of(args[1]));
            System.out.println("stored " + result.batch().id() + " accepted " + result.batch().accepted());
            result.rejected().forEach(r -> System.out.println("refused " + r.record() + " " + r.kind() + ": "
                    + r.reason()));
        } catch (IngestException e) {
            e.rejected().forEach(r -> System.out.println("refused " + r.record() + " " + r.kind() + ": "
                    + r.reason()));
            System.out.println("nothing stored: " + e.getMessage());
            System.exit(3);
        }
    }
}
