package org.mnistpipeline.train;

import ai.djl.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;

/** Real MNIST for tests, fetched beforehand by `./mnist data fetch` (the test command does it). */
final class Mnist {
    private static Dataset dataset;

    private Mnist() {}

    static synchronized Dataset dataset() {
        if (dataset == null) {
            Path dir = Locations.fromEnvironment().dataDir();
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("MNIST not found in " + dir + "; run `./mnist data fetch` first");
            }
            dataset = IdxDirectory.load(dir);
        }
        return dataset;
    }

    /** The first {@code train} training images and first {@code test} test images. */
    static Dataset subset(int train, int test) {
        Dataset all = dataset();
        LabeledImages tr = all.train().head(train);
        LabeledImages te = all.test().head(test);
        return new Dataset(all.source(), tr, te, all.fingerprint());
    }

    static Engine engine() {
        return Engines.pytorch(Locations.fromEnvironment().djlCache(), System.err::println);
    }
}
