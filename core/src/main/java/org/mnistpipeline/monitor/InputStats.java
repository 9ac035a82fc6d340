package org.mnistpipeline.monitor;

/**
 * Simple statistics of one model input, cheap enough for every request: one pass over the pixels,
 * no allocation beyond this record (which escape analysis usually removes).
 *
 * @param meanIntensity mean pixel value
 * @param inkFraction   share of pixels at or above {@link #INK}
 * @param inkWidth      width of the box around those pixels (0 for a blank image)
 * @param inkHeight     height of that box
 * @param slant         {@code -mu11 / mu02} of the intensity-weighted central moments: how far the
 *                      ink moves right per row upwards (0 for a blank image)
 */
public record InputStats(double meanIntensity, double inkFraction, int inkWidth, int inkHeight, double slant) {
    /** Half ink: the threshold for "ink pixel" in the fraction and the bounding box. */
    public static final float INK = 0.5f;

    /** Measures a row-major image {@code cols} pixels wide, values in [0, 1]. */
    public static InputStats measure(float[] image, int cols) {
        double sum = 0;
        double sumX = 0;
        double sumY = 0;
        double sumXY = 0;
        double sumYY = 0;
        int ink = 0;
        int minX = Integer.MAX_VALUE;
        int maxX = -1;
        int minY = Integer.MAX_VALUE;
        int maxY = -1;
        int rows = image.length / cols;
        for (int y = 0; y < rows; y++) {
            int row = y * cols;
            double rowSum = 0;
            double rowSumX = 0;
            for (int x = 0; x < cols; x++) {
                float v = image[row + x];
                rowSum += v;
                rowSumX += v * x;
                if (v >= INK) {
                    ink++;
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y);
                    maxY = y;
                }
            }
            // Per-row sums, then weighted by y once: the inner loop stays a few adds per pixel.
            sum += rowSum;
            sumX += rowSumX;
            sumY += rowSum * y;
            sumXY += rowSumX * y;
            sumYY += rowSum * y * y;
        }
        double slant = 0;
        if (sum > 0) {
            double meanX = sumX / sum;
            double meanY = sumY / sum;
            double mu11 = sumXY - sum * meanX * meanY;
            double mu02 = sumYY - sum * meanY * meanY;
            // Rows grow downwards, so ink leaning right (top further right) has x falling as y grows.
            slant = mu02 > 1e-9 ? -mu11 / mu02 : 0;
        }
        int n = Math.max(1, image.length);
        return new InputStats(sum / n, (double) ink / n, maxX < 0 ? 0 : maxX - minX + 1,
                maxY < 0 ? 0 : maxY - minY + 1, slant);
    }
}
