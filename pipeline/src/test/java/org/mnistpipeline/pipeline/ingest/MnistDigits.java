package org.mnistpipeline.pipeline.ingest;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;

/** Real MNIST test digits (fetched beforehand by `./mnist data fetch`), drawn as the files a user would send. */
final class MnistDigits {
    private static LabeledImages test;

    private MnistDigits() {}

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

    static byte[] pixels(int index) {
        return Arrays.copyOfRange(test().pixels(), index * 784, index * 784 + 784);
    }

    /** MNIST test image {@code index} as dark ink on white paper, enlarged (bilinear) to size×size. */
    static BufferedImage render(int index, int size) {
        BufferedImage ink = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        byte[] inverted = pixels(index);
        for (int i = 0; i < inverted.length; i++) {
            inverted[i] = (byte) (255 - (inverted[i] & 0xff));
        }
        ink.getRaster().setDataElements(0, 0, 28, 28, inverted);
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(ink, 0, 0, size, size, null);
        g.dispose();
        return out;
    }

    static byte[] png(int index, int size) {
        return encode(render(index, size), "png");
    }

    static byte[] jpeg(int index, int size) {
        return encode(render(index, size), "jpeg");
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
}
