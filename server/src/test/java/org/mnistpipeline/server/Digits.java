package org.mnistpipeline.server;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;

/** Real MNIST test digits (fetched beforehand by `./mnist data fetch`) in every body format the server takes. */
final class Digits {
    private static LabeledImages test;

    private Digits() {}

    /** The 10,000 MNIST test images; only the test files are read. */
    static synchronized LabeledImages test() {
        if (test == null) {
            test = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir());
        }
        return test;
    }

    static int label(int index) {
        return test().label(index);
    }

    static float[] floats(int index) {
        float[] out = new float[784];
        test().imageAsFloats(index, out, 0);
        return out;
    }

    /** The digit as a 28×28 greyscale PNG, white ink on black as MNIST stores it. */
    static byte[] png(int index) {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28,
                Arrays.copyOfRange(test().pixels(), index * 784, index * 784 + 784));
        return encode(image, "png");
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code {"instances": [[784 floats], ...]}}. */
    static String json(List<Integer> indices) {
        return indices.stream().map(i -> row(floats(i), ","))
                .collect(Collectors.joining("],[", "{\"instances\":[[", "]]}"));
    }

    /** One image per line, 784 comma-separated floats. */
    static String csv(List<Integer> indices) {
        return indices.stream().map(i -> row(floats(i), ",")).collect(Collectors.joining("\n", "", "\n"));
    }

    /** A NumPy {@code .npy} file of float32, shape (N, 784). */
    static byte[] npy(List<Integer> indices) {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + indices.size() + ", 784), }";
        int unpadded = 10 + header.length() + 1;
        header = header + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + indices.size() * 784 * 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.US_ASCII));
        for (int i : indices) {
            for (float v : floats(i)) {
                out.putFloat(v);
            }
        }
        return out.array();
    }

    private static String row(float[] values, String separator) {
        StringBuilder out = new StringBuilder(values.length * 6);
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                out.append(separator);
            }
            out.append(values[i]);
        }
        return out.toString();
    }
}
