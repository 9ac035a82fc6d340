package org.mnistpipeline.lambda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;

/** The real MNIST test set (fetched beforehand by `./mnist data fetch`), as images and as its IDX file. */
final class MnistTestSet {
    private static LabeledImages test;

    private MnistTestSet() {}

    static synchronized LabeledImages get() {
        if (test == null) {
            test = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir());
        }
        return test;
    }

    /** {@code t10k-images-idx3-ubyte} itself. */
    static Path imagesFile() {
        return files().get(IdxDirectory.Role.TEST_IMAGES);
    }

    static float[] floats(int index) {
        float[] out = new float[784];
        get().imageAsFloats(index, out, 0);
        return out;
    }

    /** The image's raw bytes, 0..255. */
    static int[] bytes(int index) {
        int[] out = new int[784];
        byte[] pixels = get().pixels();
        for (int i = 0; i < 784; i++) {
            out[i] = pixels[index * 784 + i] & 0xff;
        }
        return out;
    }

    private static Map<IdxDirectory.Role, Path> files() {
        Path dir = Locations.fromEnvironment().dataDir();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("MNIST not found in " + dir + "; run `./mnist data fetch` first");
        }
        return IdxDirectory.locate(dir);
    }
}
