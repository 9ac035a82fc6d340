package org.mnistpipeline.inference.fuzz;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.Idx;

/**
 * Jazzer fuzz target: bytes through the IDX reader ({@link Idx#read(java.io.InputStream, String)}),
 * as data ingestion and the S3 batch scorer read untrusted files. A {@link DataException} naming
 * the problem is the expected refusal; anything else is a finding, as is an array whose data does
 * not match its dimensions.
 */
public final class IdxFuzz {
    private IdxFuzz() {}

    public static void fuzzerTestOneInput(byte[] data) throws IOException {
        try {
            Idx.IdxArray array = Idx.read(new ByteArrayInputStream(data), "fuzz");
            long elements = 1;
            for (int d : array.dims()) {
                elements *= d;
            }
            if (array.data().length != elements) {
                throw new AssertionError(array.data().length + " bytes for dimensions "
                        + java.util.Arrays.toString(array.dims()));
            }
        } catch (DataException expected) {
            if (expected.getMessage() == null || !expected.getMessage().startsWith("fuzz:")) {
                throw new AssertionError("a refusal that does not name the file: " + expected.getMessage(), expected);
            }
        }
    }

    /** An image file and a label file as MNIST ships them, a few images each. */
    public static Map<String, byte[]> seeds() {
        byte[] pixels = new byte[3 * 784];
        for (int i = 0; i < pixels.length; i += 7) {
            pixels[i] = (byte) i;
        }
        return Map.of("images-idx3-ubyte", Idx.encode(pixels, 3, 28, 28),
                "labels-idx1-ubyte", Idx.encode(new byte[] {7, 2, 1}, 3),
                "rank4-idx", Idx.encode(new byte[2 * 3 * 4 * 5], 2, 3, 4, 5));
    }
}
