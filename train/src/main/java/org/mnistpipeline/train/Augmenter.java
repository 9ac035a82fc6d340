package org.mnistpipeline.train;

import java.util.SplittableRandom;
import org.mnistpipeline.model.Augmentation;

/**
 * Random affine transforms (rotation, zoom, shift) of single-channel images, by inverse mapping
 * with bilinear sampling; pixels mapped from outside the image are paper (0). Deterministic for a
 * given random stream, so a resumed run sees the same augmented images.
 */
final class Augmenter {
    private final Augmentation amounts;
    private final int rows;
    private final int cols;

    Augmenter(Augmentation amounts, int rows, int cols) {
        this.amounts = amounts;
        this.rows = rows;
        this.cols = cols;
    }

    /** Transforms {@code src} (at srcOffset) into {@code dst} (at dstOffset); both hold floats in [0, 1]. */
    void apply(float[] src, int srcOffset, float[] dst, int dstOffset, SplittableRandom random) {
        double angle = Math.toRadians(uniform(random, amounts.rotationDegrees()));
        double scale = 1 + uniform(random, amounts.scale());
        double tx = uniform(random, amounts.shiftPixels());
        double ty = uniform(random, amounts.shiftPixels());
        // Inverse map: output pixel p comes from source R(-angle) (p - c - t) / scale + c.
        double cos = Math.cos(angle) / scale;
        double sin = Math.sin(angle) / scale;
        double cy = (rows - 1) / 2.0;
        double cx = (cols - 1) / 2.0;
        for (int y = 0; y < rows; y++) {
            double dy = y - cy - ty;
            for (int x = 0; x < cols; x++) {
                double dx = x - cx - tx;
                double sx = cos * dx + sin * dy + cx;
                double sy = -sin * dx + cos * dy + cy;
                dst[dstOffset + y * cols + x] = sample(src, srcOffset, sx, sy);
            }
        }
    }

    private float sample(float[] src, int offset, double x, double y) {
        int x0 = (int) Math.floor(x);
        int y0 = (int) Math.floor(y);
        double fx = x - x0;
        double fy = y - y0;
        double top = lerp(pixel(src, offset, x0, y0), pixel(src, offset, x0 + 1, y0), fx);
        double bottom = lerp(pixel(src, offset, x0, y0 + 1), pixel(src, offset, x0 + 1, y0 + 1), fx);
        return (float) lerp(top, bottom, fy);
    }

    private float pixel(float[] src, int offset, int x, int y) {
        return x < 0 || y < 0 || x >= cols || y >= rows ? 0f : src[offset + y * cols + x];
    }

    private static double lerp(double a, double b, double t) {
        return a + (b - a) * t;
    }

    private static double uniform(SplittableRandom random, double max) {
        return max == 0 ? 0 : (random.nextDouble() * 2 - 1) * max;
    }
}
