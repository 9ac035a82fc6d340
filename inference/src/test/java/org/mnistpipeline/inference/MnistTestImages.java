package org.mnistpipeline.inference;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;

/**
 * Real MNIST test images, fetched beforehand by `./mnist data fetch`, and helpers that turn them
 * into the kind of picture a user would send.
 */
final class MnistTestImages {
    private static LabeledImages test;

    private MnistTestImages() {}

    /** The 10,000 MNIST test images (only the test files are read). */
    static synchronized LabeledImages test() {
        if (test == null) {
            test = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir());
        }
        return test;
    }

    static float[] image(int index) {
        return ImagePreprocessor.fromMnistBytes(test().pixels(), index * 784);
    }

    /** How a digit is drawn: colours of paper and ink (alpha 0 paper = transparent). */
    record Style(Color paper, Color ink, int imageType) {
        static final Style MNIST_GREY = new Style(Color.BLACK, Color.WHITE, BufferedImage.TYPE_BYTE_GRAY);
        static final Style PEN_ON_PAPER = new Style(Color.WHITE, Color.BLACK, BufferedImage.TYPE_INT_RGB);
        static final Style BLUE_ON_BEIGE = new Style(new Color(238, 222, 186), new Color(25, 35, 110),
                BufferedImage.TYPE_INT_RGB);
        static final Style CHALK_ON_SLATE = new Style(new Color(60, 70, 65), new Color(230, 235, 225),
                BufferedImage.TYPE_INT_RGB);
        static final Style BLACK_ON_TRANSPARENT = new Style(new Color(0, 0, 0, 0), Color.BLACK,
                BufferedImage.TYPE_INT_ARGB);
        static final Style GREY16 = new Style(Color.WHITE, Color.BLACK, BufferedImage.TYPE_USHORT_GRAY);
    }

    /**
     * Draws MNIST image {@code index} enlarged (bilinear) to {@code size}×{@code size}, at
     * ({@code x}, {@code y}) on a {@code width}×{@code height} canvas of paper.
     */
    static BufferedImage render(int index, Style style, int width, int height, int x, int y, int size) {
        BufferedImage ink = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        ink.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(test().pixels(), index * 784,
                index * 784 + 784));
        BufferedImage big = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = big.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(ink, 0, 0, size, size, null);
        g.dispose();

        boolean grey = style.imageType() == BufferedImage.TYPE_BYTE_GRAY
                || style.imageType() == BufferedImage.TYPE_USHORT_GRAY;
        BufferedImage out = new BufferedImage(width, height, style.imageType());
        int max = style.imageType() == BufferedImage.TYPE_USHORT_GRAY ? 65535 : 255;
        float[] paper = style.paper().getRGBComponents(null);
        float[] inkColour = style.ink().getRGBComponents(null);
        for (int py = 0; py < height; py++) {
            for (int px = 0; px < width; px++) {
                int bx = px - x;
                int by = py - y;
                float v = bx >= 0 && by >= 0 && bx < size && by < size
                        ? big.getRaster().getSample(bx, by, 0) / 255f : 0f;
                float[] c = new float[4];
                for (int k = 0; k < 4; k++) {
                    c[k] = paper[k] * (1 - v) + inkColour[k] * v;
                }
                if (grey) {
                    // Written as samples: the raster's grey is what a grey PNG file stores.
                    out.getRaster().setSample(px, py, 0, Math.round(c[0] * max));
                } else {
                    int argb = Math.round(c[3] * 255) << 24 | Math.round(c[0] * 255) << 16
                            | Math.round(c[1] * 255) << 8 | Math.round(c[2] * 255);
                    out.setRGB(px, py, argb);
                }
            }
        }
        return out;
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format + " and image type "
                        + image.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static double meanAbsDiff(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs(a[i] - b[i]);
        }
        return sum / a.length;
    }
}
