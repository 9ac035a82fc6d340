package org.mnistpipeline.inference;

import org.mnistpipeline.RequestException;
import org.mnistpipeline.MnistException.Kind;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
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
 * <p>Untrusted input is guarded: only PNG, JPEG, GIF and BMP are read, their headers are checked
 * for the size fields decoders trust ({@link ImageHeaders}), the pixel count is checked against
 * {@link #maxPixels()}, and the memory the decode will take (the decoded image at its bit depth and
 * channels, the decoder's own buffers, this class's working rows) is reserved from a
 * {@link MemoryBudget} before any pixel is decoded: an image that could never fit is refused with
 * 413, one that does not fit while other requests decode with 503. Large images are processed a
 * row at a time, so the decoded image is the only thing of their size held. Thread-safe; the
 * budget is shared by whoever shares this instance.
 */
public final class ImagePreprocessor {
    /** Default decode limit: 40 megapixels. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;
    public static final int SIZE = 28;
    public static final int PIXELS = SIZE * SIZE;
    /** Side of the box the digit is scaled into, as in MNIST. */
    public static final int BOX = 20;

    /** Ink must differ from the paper by at least this much (grey levels in [0, 1]). */
    private static final float MIN_CONTRAST = 0.1f;
    /** Noise floor as a fraction of the ink contrast, at least. */
    private static final float MIN_FLOOR = 0.03f;
    /** Less ink than this (in fully-inked pixels) is a blank image with specks, not a digit. */
    private static final float MIN_INK_PIXELS = 4f;
    private static final double MIN_INK_FRACTION = 1e-5;
    /**
     * Images up to this many pixels keep their grey levels in one array (4 bytes a pixel, 8 MB at
     * most) and are read from the decoded image once; larger ones are read again for each pass
     * instead of holding a second copy of their size.
     */
    static final long KEPT_PIXELS = 2_000_000;
    /** Bytes per pixel of width for the row buffers of the decoders and of this class. */
    private static final long ROW_BYTES_PER_PIXEL = 64;
    /** A decoder's own message is passed on only when it names no Java class. */
    private static final Pattern INTERNAL = Pattern.compile(
            "\\b(java|javax|com|sun|jdk)\\.[\\w.$]+|\\w+(Exception|Error)\\b");

    private final long maxPixels;
    private final MemoryBudget budget;
    private final long keptPixels;

    public ImagePreprocessor() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** {@code maxPixels}: images with more pixels (width × height) are refused before decoding. */
    public ImagePreprocessor(long maxPixels) {
        this(maxPixels, MemoryBudget.ofHeap());
    }

    /**
     * {@code budget}: the memory decodes may hold at once, shared with whatever else shares it
     * (a server passes its one budget for all requests).
     */
    public ImagePreprocessor(long maxPixels, MemoryBudget budget) {
        this(maxPixels, budget, KEPT_PIXELS);
    }

    /** {@code keptPixels}: largest image kept whole while preprocessed; tests compare both ways. */
    ImagePreprocessor(long maxPixels, MemoryBudget budget, long keptPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
        this.budget = java.util.Objects.requireNonNull(budget, "budget");
        this.keptPixels = keptPixels;
    }

    public long maxPixels() {
        return maxPixels;
    }

    public MemoryBudget budget() {
        return budget;
    }

    /** Decodes a PNG, JPEG, GIF or BMP image and preprocesses it; see the class comment. */
    public float[] preprocess(byte[] encodedImage) {
        try (MemoryBudget.Lease lease = budget.lease()) {
            return preprocess(encodedImage, lease);
        }
    }

    /**
     * As {@link #preprocess(byte[])}, reserving on a request's own {@code lease} (which must come
     * from this preprocessor's budget), so the request's other reservations count too.
     */
    public float[] preprocess(byte[] encodedImage, MemoryBudget.Lease lease) {
        return preprocess(decode(encodedImage, lease, PREPROCESS_WORKING));
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

        // Pass 2: composited over the paper, the mean shade.
        Composite shades = new Composite(rows, paper, w, h, (long) w * h <= keptPixels);
        double sum = 0;
        for (int y = 0; y < h; y++) {
            float[] c = shades.row(y);
            for (int x = 0; x < w; x++) {
                sum += c[x];
            }
        }
        double mean = sum / ((double) w * h);
        if (Math.abs(mean - paper) < 1e-7) {
            throw noInk("it is a single flat shade");
        }
        boolean darkInk = mean < paper;

        // Pass 3: ink is the distance from the paper; its range, and its spread along the border.
        float[] ink = new float[w];
        float[] border = new float[2 * w + 2 * h];
        int borderN = 0;
        float range = 0;
        for (int y = 0; y < h; y++) {
            inkRow(shades.row(y), paper, darkInk, ink);
            boolean edgeRow = y == 0 || y == h - 1;
            for (int x = 0; x < w; x++) {
                range = Math.max(range, ink[x]);
                if (edgeRow || x == 0 || x == w - 1) {
                    border[borderN++] = ink[x];
                }
            }
        }
        if (range < MIN_CONTRAST) {
            throw noInk("nothing differs from the paper by more than " + Math.round(MIN_CONTRAST * 100) + "%");
        }
        float floor = Math.min(0.5f * range, Math.max(MIN_FLOOR * range, 4 * robustSpread(border, borderN)));
        float scale = 1f / (range - floor);

        // Pass 4: ink above the noise floor, in [0, 1]; where it lies and how much there is.
        int x0 = w;
        int y0 = h;
        int x1 = -1;
        int y1 = -1;
        double mass = 0;
        for (int y = 0; y < h; y++) {
            scaledInkRow(shades.row(y), paper, darkInk, floor, scale, ink);
            for (int x = 0; x < w; x++) {
                float v = ink[x];
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

        // Pass 5: the crop, resampled into the box a row at a time.
        int cw = x1 - x0 + 1;
        int ch = y1 - y0 + 1;
        double fit = (double) BOX / Math.max(cw, ch);
        int nw = Math.max(1, Math.min(BOX, (int) Math.round(cw * fit)));
        int nh = Math.max(1, Math.min(BOX, (int) Math.round(ch * fit)));
        int top = y0;
        float[] box = Resampler.resample(y -> {
            scaledInkRow(shades.row(top + y), paper, darkInk, floor, scale, ink);
            return ink;
        }, x0, cw, ch, nw, nh);
        return centre(box, nw, nh);
    }

    /** Distance from the paper, in the ink's direction, not below 0. */
    private static void inkRow(float[] shade, float paper, boolean darkInk, float[] out) {
        for (int x = 0; x < out.length; x++) {
            float d = darkInk ? paper - shade[x] : shade[x] - paper;
            out[x] = Math.max(0f, d);
        }
    }

    /** Ink above the noise floor, stretched so the strongest is 1. */
    private static void scaledInkRow(float[] shade, float paper, boolean darkInk, float floor, float scale,
            float[] out) {
        inkRow(shade, paper, darkInk, out);
        for (int x = 0; x < out.length; x++) {
            out[x] = Math.min(1f, Math.max(0f, (out[x] - floor) * scale));
        }
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
     * Decodes an image for a caller that works on the decoded image itself (data ingestion): the
     * budget is reserved for the decode plus one float per pixel for the caller's own pass, and
     * released on return, so callers take one image at a time. Never uses ImageIO's disk cache (a
     * global switch, and slow on Lambda's /tmp).
     */
    public BufferedImage decode(byte[] bytes) {
        try (MemoryBudget.Lease lease = budget.lease()) {
            return decode(bytes, lease, (w, h) -> PREPROCESS_WORKING.bytes(w, h) + 4L * w * h);
        }
    }

    /** Memory besides the decoded image that a caller needs for an image of w × h. */
    @FunctionalInterface
    private interface Working {
        long bytes(int w, int h);
    }

    /** What {@link #preprocess(BufferedImage)} holds besides rows: the kept shades, the crop's resampled rows. */
    private static final Working PREPROCESS_WORKING = (w, h) -> 4L * Math.min((long) w * h, KEPT_PIXELS) + 4L * BOX * h;

    /**
     * Checks the header ({@link ImageHeaders}), reads the dimensions, refuses images over the pixel
     * limit, reserves the decode's memory on {@code lease}, then decodes.
     */
    private BufferedImage decode(byte[] bytes, MemoryBudget.Lease lease, Working working) {
        if (bytes == null || bytes.length == 0) {
            throw new RequestException(Kind.BAD_INPUT, "the image is empty: send PNG, JPEG, GIF or BMP bytes");
        }
        ImageHeaders.Header header = ImageHeaders.inspect(bytes);
        String format = header.shown();
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(header.format());
        if (!readers.hasNext()) {
            throw new IllegalStateException("this JVM has no ImageIO reader for " + format);
        }
        ImageReader reader = readers.next();
        try (ImageInputStream in = new BytesImageInputStream(bytes)) {
            reader.setInput(in, true, true);
            int w;
            int h;
            long imageBytes;
            try {
                w = reader.getWidth(0);
                h = reader.getHeight(0);
                if (w <= 0 || h <= 0) {
                    throw new RequestException(Kind.BAD_INPUT, "the " + format + " header gives an empty image ("
                            + w + "×" + h + ")");
                }
                if ((long) w * h > maxPixels) {
                    throw tooLarge(w, h);
                }
                imageBytes = decodedBytes(reader, format, w, h);
            } catch (IOException | RuntimeException e) {
                if (e instanceof RequestException known) {
                    throw known;
                }
                throw new RequestException(Kind.BAD_INPUT, "cannot read the " + format + " header" + decoderSays(e)
                        + "; send a PNG, JPEG, GIF or BMP file as saved by an image editor");
            }
            long cost = imageBytes + header.extraBytes() + ROW_BYTES_PER_PIXEL * w + working.bytes(w, h);
            lease.reserve(cost, String.format(Locale.ROOT, "decoding this %d×%d %s", w, h, format),
                    "send a smaller image (fewer pixels, or 8 bits per channel); a digit needs no more than a few"
                            + " hundred pixels a side");
            try {
                return reader.read(0);
            } catch (IOException | RuntimeException e) {
                throw new RequestException(Kind.BAD_INPUT, "the " + format + " image data is corrupt or truncated"
                        + decoderSays(e) + "; send the whole file as saved by an image editor");
            }
        } catch (IOException e) {
            throw new RequestException(Kind.BAD_INPUT, "cannot read the image" + decoderSays(e));
        } finally {
            reader.dispose();
        }
    }

    /**
     * Bytes of the image {@code reader} will decode into: its first image type (what
     * {@code read(0)} allocates) at its bits per pixel.
     */
    private static long decodedBytes(ImageReader reader, String format, int w, int h) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (types == null || !types.hasNext()) {
            throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "this kind of " + format + " (its colour type)"
                    + " cannot be decoded here; save it as 8-bit RGB or greyscale");
        }
        SampleModel model = types.next().getSampleModel();
        long bitsPerPixel = model instanceof MultiPixelPackedSampleModel packed ? packed.getPixelBitStride()
                : (long) model.getNumDataElements() * DataBuffer.getDataTypeSize(model.getDataType());
        return (w * bitsPerPixel + 7) / 8 * h;
    }

    /** The decoder's reason when it is its own words, in parentheses; nothing when it would name Java classes. */
    private static String decoderSays(Exception e) {
        if (e instanceof EOFException) {
            return " (it ends early)";
        }
        String message = e.getMessage();
        if (!(e instanceof IIOException) || message == null || message.isBlank() || INTERNAL.matcher(message).find()) {
            return "";
        }
        return " (" + message + ")";
    }

    private RequestException tooLarge(long w, long h) {
        return new RequestException(Kind.TOO_LARGE, String.format(Locale.ROOT,
                "image is %d×%d = %.1f megapixels; the limit is %.1f megapixels: scale it down before sending",
                w, h, w * h / 1e6, maxPixels / 1e6));
    }

    private static RequestException noInk(String why) {
        return new RequestException(Kind.BAD_INPUT, "image has no ink (" + why + "); send a photo or drawing of one digit");
    }

    /** Robust spread (1.4826 × median absolute deviation) of the first {@code n} values; reorders them. */
    private static float robustSpread(float[] values, int n) {
        float med = median(values, n);
        for (int i = 0; i < n; i++) {
            values[i] = Math.abs(values[i] - med);
        }
        return 1.4826f * median(values, n);
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
     * The image composited over the paper, a row at a time: kept in one array when the image is
     * small (read from the decoded image once), recomputed from the decoded image on every call
     * when it is large (no second copy of its size). The same float operations either way.
     */
    private static final class Composite {
        private final PixelRows rows;
        private final float paper;
        private final int w;
        private final float[] kept;
        private final float[] grey;
        private final float[] alpha;
        private final float[] row;

        Composite(PixelRows rows, float paper, int w, int h, boolean keep) {
            this.rows = rows;
            this.paper = paper;
            this.w = w;
            this.grey = new float[w];
            this.alpha = new float[w];
            this.row = new float[w];
            if (keep) {
                kept = new float[w * h];
                for (int y = 0; y < h; y++) {
                    System.arraycopy(compute(y), 0, kept, y * w, w);
                }
            } else {
                kept = null;
            }
        }

        /** Row {@code y}; valid until the next call. */
        float[] row(int y) {
            if (kept == null) {
                return compute(y);
            }
            System.arraycopy(kept, y * w, row, 0, w);
            return row;
        }

        private float[] compute(int y) {
            rows.read(y, grey, alpha);
            for (int x = 0; x < w; x++) {
                row[x] = alpha[x] * grey[x] + (1 - alpha[x]) * paper;
            }
            return row;
        }
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
