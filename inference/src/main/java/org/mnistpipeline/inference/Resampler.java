package org.mnistpipeline.inference;

/**
 * Separable resampling of a float image: exact area averaging when shrinking (every source pixel
 * contributes in proportion to the area it covers, so thin strokes turn grey instead of vanishing
 * or aliasing), bilinear interpolation when enlarging.
 */
final class Resampler {
    private Resampler() {}

    /** The rows of the region to resample, one at a time. */
    @FunctionalInterface
    interface Rows {
        /** Row {@code y} of the region (0-based), as a full row of the image; read before the next call. */
        float[] row(int y);
    }

    /**
     * Resamples the {@code cw}×{@code ch} region starting at column {@code x0} of {@code src}'s
     * rows to {@code nw}×{@code nh}. Rows are taken one at a time, each once, so the region is
     * never held whole: only its {@code ch} rows shrunk to {@code nw} values.
     */
    static float[] resample(Rows src, int x0, int cw, int ch, int nw, int nh) {
        Kernel horizontal = Kernel.of(cw, nw);
        Kernel vertical = Kernel.of(ch, nh);
        float[] rows = new float[ch * nw];
        for (int y = 0; y < ch; y++) {
            horizontal.apply(src.row(y), x0, 1, rows, y * nw, 1);
        }
        float[] out = new float[nh * nw];
        for (int x = 0; x < nw; x++) {
            vertical.apply(rows, x, nw, out, x, nw);
        }
        return out;
    }

    /** For each output index, the source indices it reads and their weights. */
    private record Kernel(int[] first, float[][] weights) {
        static Kernel of(int srcLen, int dstLen) {
            int[] first = new int[dstLen];
            float[][] weights = new float[dstLen][];
            double s = (double) srcLen / dstLen;
            for (int o = 0; o < dstLen; o++) {
                if (s >= 1) {
                    double lo = o * s;
                    double hi = (o + 1) * s;
                    int i0 = (int) Math.floor(lo);
                    int i1 = Math.min(srcLen - 1, (int) Math.ceil(hi) - 1);
                    float[] wts = new float[i1 - i0 + 1];
                    for (int i = i0; i <= i1; i++) {
                        wts[i - i0] = (float) ((Math.min(hi, i + 1) - Math.max(lo, i)) / s);
                    }
                    first[o] = i0;
                    weights[o] = wts;
                } else {
                    double x = Math.max(0, Math.min(srcLen - 1, (o + 0.5) * s - 0.5));
                    int i0 = Math.min((int) Math.floor(x), Math.max(0, srcLen - 2));
                    float f = (float) (x - i0);
                    first[o] = i0;
                    weights[o] = srcLen == 1 ? new float[] {1f} : new float[] {1 - f, f};
                }
            }
            return new Kernel(first, weights);
        }

        void apply(float[] src, int srcOffset, int srcStep, float[] dst, int dstOffset, int dstStep) {
            for (int o = 0; o < first.length; o++) {
                float[] wts = weights[o];
                int base = srcOffset + first[o] * srcStep;
                float acc = 0;
                for (int k = 0; k < wts.length; k++) {
                    acc += wts[k] * src[base + k * srcStep];
                }
                dst[dstOffset + o * dstStep] = acc;
            }
        }
    }
}
