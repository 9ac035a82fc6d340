package org.mnistpipeline.inference;

import org.mnistpipeline.RequestException;
import org.mnistpipeline.MnistException.Kind;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns a photo or drawing of one digit into the 28×28 floats an MNIST model expects, the way the
 * MNIST images themselves were made: ink bright (1) on dark paper (0), the digit's bounding box
 * scaled to fit 20×20 keeping its aspect ratio, then placed so that its centre of mass falls on the
 * centre of the 28×28 field.
 *
 * <p>Steps: grey by luminance (Rec. 601, as PIL's {@code convert("L")}); transparent pixels are
 * paper; the paper level is the median of the image border (or, when the border is transparent,
 * the opposite of the ink's shade); polarity from whether the image mean lies below or above the
 * paper, so dark-on-light and light-on-dark both work; ink = distance from the paper, scaled so the
 * strongest ink is 1, with a small noise floor (estimated on the border) subtracted so paper
 * texture and JPEG noise do not widen the crop; crop to the ink; area-averaging resample (bilinear
 * when enlarging); contrast stretched so the strongest ink is 1 again, as in MNIST.
 *
 * <p>Untrusted input is guarded: only PNG, JPEG, GIF and BMP are read, and the pixel count is read
 * from the header and checked against {@link #maxPixels()} before any pixel data is decoded.
 * Thread-safe and stateless apart from its limit.
 */
public final class ImagePreprocessor {
    /** Default decode limit: 40 megapixels, about 160 MB once decoded. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;
    public static final int SIZE = 28;
    public static final int PIXELS = SIZE * SIZE;
    /** Side of the box the digit is scaled into, as in MNIST. */
    public static final int BOX = 20;

    private static final Set<String> FORMATS = Set.of("png", "jpeg", "gif", "bmp");
    /** Ink must differ from the paper by at least this much (grey levels in [0, 1]). */
    private static final float MIN_CONTRAST = 0.1f;
    /** Noise floor as a fraction of the ink contrast, at least. */
    private static final float MIN_FLOOR = 0.03f;
    /** Less ink than this (in fully-inked pixels) is a blank image with specks, not a digit. */
    private static final float MIN_INK_PIXELS = 4f;
    private static final double MIN_INK_FRACTION = 1e-5;

    private final long maxPixels;

    public ImagePreprocessor() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** {@code maxPixels}: images with more pixels (width × height) are refused before decoding. */
    public ImagePreprocessor(long maxPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** Decodes a PNG, JPEG, GIF or BMP image and preprocesses it; see the class comment. */
    public float[] preprocess(byte[] encodedImage) {
        return preprocess(decode(encodedImage));
    }

    /** Preprocesses an already decoded image into 784 floats, row-major. */
    public float[] preprocess(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        if ((long) w * h > maxPixels) {
            throw tooLarge(w, h);
        }
        PixelRows rows = new PixelRows(image);

        // Pass 1: what the border looks like, and the shade of whatever is opaque.
        float[] grey = new float[w];
        float[] alpha = new float[w];
        float[] borderOpaque = new float[2 * w + 2 * h];
        int borderCount = 0;
        int borderOpaqueCount = 0;
        double sumAlphaGrey = 0;
        double sumAlpha = 0;
        for (int y = 0; y < h; y++) {
            rows.read(y, grey, alpha);
            boolean edgeRow = y == 0 || y == h - 1;
            for (int x = 0; x < w; x++) {
                sumAlphaGrey += alpha[x] * grey[x];
                sumAlpha += alpha[x];
                if (edgeRow || x == 0 || x == w - 1) {
                    borderCount++;
                    if (alpha[x] >= 0.5f) {
                        borderOpaque[borderOpaqueCount++] = grey[x];
                    }
                }
            }
        }
        if (sumAlpha < 1e-6) {
            throw noInk("it is fully transparent");
        }
        float paper;
        if (borderOpaqueCount * 2 >= borderCount) {
            paper = median(borderOpaque, borderOpaqueCount);
        } else {
            // Transparent surroundings: the paper is whatever contrasts with the opaque strokes.
            paper = sumAlphaGrey / sumAlpha < 0.5 ? 1f : 0f;
        }

        // Pass 2: composite over the paper.
        float[] ink = new float[Math.multiplyExact(w, h)];
        double sum = 0;
        for (int y = 0; y < h; y++) {
            rows.read(y, grey, alpha);
            int base = y * w;
            for (int x = 0; x < w; x++) {
                float c = alpha[x] * grey[x] + (1 - alpha[x]) * paper;
                ink[base + x] = c;
                sum += c;
            }
        }
        double mean = sum / ink.length;
        if (Math.abs(mean - paper) < 1e-7) {
            throw noInk("it is a single flat shade");
        }
        boolean darkInk = mean < paper;
        float range = 0;
        for (int i = 0; i < ink.length; i++) {
            float d = darkInk ? paper - ink[i] : ink[i] - paper;
            ink[i] = Math.max(0f, d);
            range = Math.max(range, ink[i]);
        }
        if (range < MIN_CONTRAST) {
            throw noInk("nothing differs from the paper by more than " + Math.round(MIN_CONTRAST * 100) + "%");
        }
        float floor = Math.min(0.5f * range, Math.max(MIN_FLOOR * range, 4 * borderNoise(ink, w, h)));
        float scale = 1f / (range - floor);
        int x0 = w;
        int y0 = h;
        int x1 = -1;
        int y1 = -1;
        double mass = 0;
        for (int y = 0; y < h; y++) {
            int base = y * w;
            for (int x = 0; x < w; x++) {
                float v = Math.min(1f, Math.max(0f, (ink[base + x] - floor) * scale));
                ink[base + x] = v;
                if (v > 0) {
                    mass += v;
                    x0 = Math.min(x0, x);
                    x1 = Math.max(x1, x);
                    y0 = Math.min(y0, y);
                    y1 = Math.max(y1, y);
                }
            }
        }
        if (mass < Math.max(MIN_INK_PIXELS, MIN_INK_FRACTION * w * h)) {
            throw noInk("only specks differ from the paper");
        }

        int cw = x1 - x0 + 1;
        int ch = y1 - y0 + 1;
        double fit = (double) BOX / Math.max(cw, ch);
        int nw = Math.max(1, Math.min(BOX, (int) Math.round(cw * fit)));
        int nh = Math.max(1, Math.min(BOX, (int) Math.round(ch * fit)));
        float[] box = Resampler.resample(ink, w, x0, y0, cw, ch, nw, nh);
        return centre(box, nw, nh);
    }

    /** MNIST bytes (0 = paper, 255 = ink) of one 28×28 image as floats in [0, 1]. */
    public static float[] fromMnistBytes(byte[] pixels) {
        return fromMnistBytes(pixels, 0);
    }

    /** The 784 MNIST bytes of one image starting at {@code offset}, as floats in [0, 1]. */
    public static float[] fromMnistBytes(byte[] pixels, int offset) {
        if (offset < 0 || pixels.length - offset < PIXELS) {
            throw new RequestException(Kind.BAD_INPUT, "expected " + PIXELS + " MNIST bytes at offset " + offset
                    + ", got " + Math.max(0, pixels.length - offset));
        }
        float[] out = new float[PIXELS];
        for (int i = 0; i < PIXELS; i++) {
            out[i] = (pixels[offset + i] & 0xff) / 255f;
        }
        return out;
    }

    /**
     * Reads the image dimensions from the header, refuses images over the limit, then decodes.
     * Never uses ImageIO's disk cache (a global switch, and slow on Lambda's /tmp). Public so that
     * data ingestion decodes untrusted files with the same guards, once, and keeps the image.
     */
    public BufferedImage decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new RequestException(Kind.BAD_INPUT, "the image is empty: send PNG, JPEG, GIF or BMP bytes");
        }
        try (ImageInputStream in = new BytesImageInputStream(bytes)) {
            ImageReader reader = readerFor(in, bytes);
            String format = reader.getFormatName().toUpperCase(Locale.ROOT);
            try {
                reader.setInput(in, true, true);
                int w;
                int h;
                try {
                    w = reader.getWidth(0);
                    h = reader.getHeight(0);
                } catch (IOException | RuntimeException e) {
                    throw new RequestException(Kind.BAD_INPUT, "cannot read the " + format + " header: "
                            + describe(e));
                }
                if (w <= 0 || h <= 0) {
                    throw new RequestException(Kind.BAD_INPUT, "the " + format + " header gives an empty image ("
                            + w + "×" + h + ")");
                }
                if ((long) w * h > maxPixels) {
                    throw tooLarge(w, h);
                }
                try {
                    return reader.read(0);
                } catch (IOException | RuntimeException e) {
                    throw new RequestException(Kind.BAD_INPUT, "the " + format + " image data is corrupt or truncated: "
                            + describe(e));
                }
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new RequestException(Kind.BAD_INPUT, "cannot read the image: " + describe(e));
        }
    }

    private static ImageReader readerFor(ImageInputStream in, byte[] bytes) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            try {
                if (FORMATS.contains(reader.getFormatName().toLowerCase(Locale.ROOT))) {
                    return reader;
                }
            } catch (IOException e) {
                // a reader that cannot name its format is of no use
            }
            reader.dispose();
        }
        byte[] head = Arrays.copyOf(bytes, Math.min(8, bytes.length));
        throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "not a PNG, JPEG, GIF or BMP image (it starts with "
                + HexFormat.ofDelimiter(" ").formatHex(head) + ")");
    }

    private RequestException tooLarge(long w, long h) {
        return new RequestException(Kind.TOO_LARGE, String.format(Locale.ROOT,
                "image is %d×%d = %.1f megapixels; the limit is %.1f megapixels: scale it down before sending",
                w, h, w * h / 1e6, maxPixels / 1e6));
    }

    private static RequestException noInk(String why) {
        return new RequestException(Kind.BAD_INPUT, "image has no ink (" + why + "); send a photo or drawing of one digit");
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Robust spread (1.4826 × median absolute deviation) of the ink values along the border. */
    private static float borderNoise(float[] ink, int w, int h) {
        float[] border = new float[2 * w + 2 * h];
        int n = 0;
        for (int x = 0; x < w; x++) {
            border[n++] = ink[x];
            if (h > 1) {
                border[n++] = ink[(h - 1) * w + x];
            }
        }
        for (int y = 1; y < h - 1; y++) {
            border[n++] = ink[y * w];
            if (w > 1) {
                border[n++] = ink[y * w + w - 1];
            }
        }
        float med = median(border, n);
        for (int i = 0; i < n; i++) {
            border[i] = Math.abs(border[i] - med);
        }
        return 1.4826f * median(border, n);
    }

    private static float median(float[] values, int n) {
        float[] copy = Arrays.copyOf(values, n);
        Arrays.sort(copy);
        return n % 2 == 1 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
    }

    /**
     * Stretches the strongest ink to 1 and places the box in the 28×28 field with its centre of
     * mass on pixel (14, 14), as MNIST did (measured on the test set: mean centre 14.0 ± 0.3,
     * whole-pixel shifts). The box is kept inside the field rather than clipped.
     */
    private static float[] centre(float[] box, int bw, int bh) {
        float max = 0;
        double mass = 0;
        double mx = 0;
        double my = 0;
        for (int y = 0; y < bh; y++) {
            for (int x = 0; x < bw; x++) {
                float v = box[y * bw + x];
                max = Math.max(max, v);
                mass += v;
                mx += v * x;
                my += v * y;
            }
        }
        if (max <= 0) {
            throw noInk("the digit vanished when scaled to " + BOX + " pixels");
        }
        int ox = clamp((int) Math.round(SIZE / 2.0 - mx / mass), 0, SIZE - bw);
        int oy = clamp((int) Math.round(SIZE / 2.0 - my / mass), 0, SIZE - bh);
        float[] out = new float[PIXELS];
        float stretch = 1f / max;
        for (int y = 0; y < bh; y++) {
            for (int x = 0; x < bw; x++) {
                out[(y + oy) * SIZE + x + ox] = Math.min(1f, box[y * bw + x] * stretch);
            }
        }
        return out;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /**
     * Reads one row at a time as grey and alpha in [0, 1]. Grey images are read from their samples:
     * Java treats their colour space as linear and {@code getRGB} would brighten mid-greys.
     */
    private static final class PixelRows {
        private final BufferedImage image;
        private final Raster raster;
        private final boolean rawGrey;
        private final boolean hasAlpha;
        private final boolean premultiplied;
        private final float greyScale;
        private final float alphaScale;
        private final int[] samples;
        private final int[] argb;

        PixelRows(BufferedImage image) {
            this.image = image;
            this.raster = image.getRaster();
            ColorModel cm = image.getColorModel();
            this.rawGrey = cm instanceof ComponentColorModel && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                    && raster.getNumBands() == cm.getNumComponents() && cm.getNumComponents() <= 2;
            this.hasAlpha = cm.hasAlpha();
            this.premultiplied = cm.isAlphaPremultiplied();
            this.greyScale = rawGrey ? 1f / ((1L << raster.getSampleModel().getSampleSize(0)) - 1) : 1f / 255;
            this.alphaScale = rawGrey && hasAlpha ? 1f / ((1L << raster.getSampleModel().getSampleSize(1)) - 1) : 1f / 255;
            this.samples = new int[image.getWidth()];
            this.argb = new int[image.getWidth()];
        }

        void read(int y, float[] grey, float[] alpha) {
            int w = image.getWidth();
            if (rawGrey) {
                int bandOffset = raster.getMinX();
                raster.getSamples(bandOffset, raster.getMinY() + y, w, 1, 0, samples);
                for (int x = 0; x < w; x++) {
                    grey[x] = samples[x] * greyScale;
                }
                if (hasAlpha) {
                    raster.getSamples(bandOffset, raster.getMinY() + y, w, 1, 1, samples);
                    for (int x = 0; x < w; x++) {
                        alpha[x] = samples[x] * alphaScale;
                        if (premultiplied && alpha[x] > 0) {
                            grey[x] = Math.min(1f, grey[x] / alpha[x]);
                        }
                    }
                } else {
                    Arrays.fill(alpha, 0, w, 1f);
                }
                return;
            }
            image.getRGB(0, y, w, 1, argb, 0, w); // sRGB, not premultiplied, whatever the colour model
            for (int x = 0; x < w; x++) {
                int p = argb[x];
                grey[x] = (0.299f * ((p >> 16) & 0xff) + 0.587f * ((p >> 8) & 0xff) + 0.114f * (p & 0xff)) / 255f;
                alpha[x] = ((p >>> 24) & 0xff) / 255f;
            }
        }
    }
}
