package org.mnistpipeline.pipeline.ingest;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds pictures that are the same digit re-encoded or rescaled (a PNG and a JPEG of one scan).
 *
 * <p>The rule: each image gets a <em>signature</em>, the whole frame (no crop) area-averaged to
 * 28×28, turned to ink-on-black by subtracting the paper (median of the border, polarity from it).
 * Two images are near duplicates when the cosine similarity of their signatures is at least
 * {@value #THRESHOLD}. Why not the preprocessed tensor: cropping and centring amplify encoding
 * noise (a PNG and a JPEG of one digit measured as low as 0.73 after preprocessing), while distinct
 * MNIST "1"s are within 0.98 of each other. On the whole-frame signature, MNIST test digits drawn as
 * a 112 px PNG and again as a 56 px PNG or an 84 or 200 px JPEG score at least 0.997 (tested), while
 * no two of the first 4,000 MNIST test images reach the threshold (tested); in all 60,000 training
 * images the closest distinct pairs (three pairs of 1s) score 0.990 to 0.992. Heavy recompression of
 * tiny pictures (a 28 px JPEG) can fall below the threshold and is then not caught. Of two near
 * duplicates the first (in source order, or the stored one) is kept.
 *
 * <p>Search is exact, not hashed: the 16 block means of a unit signature (4×4 blocks of 7×7,
 * scaled by 7) are an orthonormal projection, so two signatures within the threshold differ by at
 * most {@code sqrt(2 - 2 * THRESHOLD)} (Euclidean), so also in each coordinate; a grid over three of them with that cell size,
 * probed in neighbouring cells, finds every candidate, which is then checked in full.
 */
final class NearDuplicates<T> {
    static final double THRESHOLD = 0.995;
    static final int SIZE = 28;
    private static final double CELL = Math.sqrt(2 - 2 * THRESHOLD);
    private static final int[] GRID_BLOCKS = {5, 6, 9};

    /** A unit-length signature and what it belongs to. */
    record Entry<T>(float[] unit, float[] blocks, T owner) {}

    /** The closest match found, with its similarity. */
    record Match<T>(T owner, double similarity) {}

    private final Map<Long, List<Entry<T>>> grid = new HashMap<>();

    /** The signature of a decoded picture, as bytes 0–255 (the form stored with a batch). */
    static byte[] signature(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[] grey = new float[w * h];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                float alpha = ((p >>> 24) & 0xff) / 255f;
                float g = (0.299f * ((p >> 16) & 0xff) + 0.587f * ((p >> 8) & 0xff) + 0.114f * (p & 0xff)) / 255f;
                // Transparent pixels count as white paper, as they look in a viewer.
                grey[y * w + x] = alpha * g + (1 - alpha);
            }
        }
        return signature(grey, w, h);
    }

    /** The signature of a 28×28 MNIST-convention image (0 = paper, 255 = ink). */
    static byte[] signatureOfMnist(byte[] pixels) {
        float[] grey = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            grey[i] = (pixels[i] & 0xff) / 255f;
        }
        return signature(grey, SIZE, SIZE);
    }

    private static byte[] signature(float[] grey, int w, int h) {
        float[] out = new float[SIZE * SIZE];
        for (int oy = 0; oy < SIZE; oy++) {
            int y0 = (int) ((long) oy * h / SIZE);
            int y1 = Math.max(y0 + 1, (int) ((long) (oy + 1) * h / SIZE));
            for (int ox = 0; ox < SIZE; ox++) {
                int x0 = (int) ((long) ox * w / SIZE);
                int x1 = Math.max(x0 + 1, (int) ((long) (ox + 1) * w / SIZE));
                double sum = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        sum += grey[y * w + x];
                    }
                }
                out[oy * SIZE + ox] = (float) (sum / ((long) (x1 - x0) * (y1 - y0)));
            }
        }
        float[] border = new float[4 * SIZE - 4];
        int n = 0;
        for (int i = 0; i < SIZE; i++) {
            border[n++] = out[i];
            border[n++] = out[(SIZE - 1) * SIZE + i];
            if (i > 0 && i < SIZE - 1) {
                border[n++] = out[i * SIZE];
                border[n++] = out[i * SIZE + SIZE - 1];
            }
        }
        Arrays.sort(border);
        float paper = (border[n / 2 - 1] + border[n / 2]) / 2;
        boolean darkInk = paper > 0.5f;
        float max = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.max(0f, darkInk ? paper - out[i] : out[i] - paper);
            max = Math.max(max, out[i]);
        }
        byte[] bytes = new byte[out.length];
        for (int i = 0; i < out.length; i++) {
            bytes[i] = (byte) (max == 0 ? 0 : Math.round(out[i] / max * 255));
        }
        return bytes;
    }

    static <T> Entry<T> entry(byte[] signature, T owner) {
        float[] unit = new float[signature.length];
        double norm = 0;
        for (int i = 0; i < signature.length; i++) {
            unit[i] = signature[i] & 0xff;
            norm += (double) unit[i] * unit[i];
        }
        float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < unit.length; i++) {
            unit[i] *= inv;
        }
        float[] blocks = new float[16];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                blocks[(y / 7) * 4 + x / 7] += unit[y * SIZE + x] / 7f;
            }
        }
        return new Entry<>(unit, blocks, owner);
    }

    void add(Entry<T> e) {
        grid.computeIfAbsent(key(cells(e), 0, 0, 0), k -> new ArrayList<>()).add(e);
    }

    /** The most similar entry at or above the threshold, if any. */
    Optional<Match<T>> find(Entry<?> e) {
        long[] c = cells(e);
        Match<T> best = null;
        for (int d0 = -1; d0 <= 1; d0++) {
            for (int d1 = -1; d1 <= 1; d1++) {
                for (int d2 = -1; d2 <= 1; d2++) {
                    List<Entry<T>> bucket = grid.get(key(c, d0, d1, d2));
                    if (bucket == null) {
                        continue;
                    }
                    for (Entry<T> other : bucket) {
                        if (!blocksClose(e.blocks, other.blocks)) {
                            continue;
                        }
                        double sim = dot(e.unit, other.unit);
                        if (sim >= THRESHOLD && (best == null || sim > best.similarity())) {
                            best = new Match<>(other.owner, sim);
                        }
                    }
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static long[] cells(Entry<?> e) {
        long[] c = new long[GRID_BLOCKS.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = (long) Math.floor(e.blocks[GRID_BLOCKS[i]] / CELL);
        }
        return c;
    }

    private static long key(long[] c, int d0, int d1, int d2) {
        return ((c[0] + d0 + 1) << 42) | ((c[1] + d1 + 1) << 21) | (c[2] + d2 + 1);
    }

    /** A cheap necessary condition: the projection cannot be farther apart than the signatures. */
    private static boolean blocksClose(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            double x = a[i] - b[i];
            d += x * x;
        }
        return d <= CELL * CELL * 1.0001;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
