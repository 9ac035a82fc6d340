package org.mnistpipeline.data;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Deterministic distribution shifts over {@link LabeledImages} (0 = paper, 255 = ink), for testing
 * drift detection and measuring how a model degrades on data unlike its training set. Labels are
 * never changed, and the input is never modified: each shift returns new images.
 *
 * <p>A shift can be named by a spec string ({@link #apply}) so that a CLI or a benchmark can take it
 * as an argument: terms joined by {@code +}, each {@code name} or {@code name:amount}, applied left
 * to right:
 * <ul>
 *   <li>{@code none}: the images unchanged (a baseline for comparisons);</li>
 *   <li>{@code thick[:radius]} (default 1): grey dilation with a disc of that radius, bolder strokes;</li>
 *   <li>{@code slant[:degrees]} (default 15): horizontal shear, positive leans the top to the right;</li>
 *   <li>{@code noise[:sigma]} (default 0.2): additive Gaussian noise, sigma as a fraction of full ink;</li>
 *   <li>{@code invert}: white digits on black become black on white.</li>
 * </ul>
 * Example: {@code thick+slant:12}, {@code noise:0.3}.
 */
public final class Shifts {
    /** Default amounts when a spec term has none. */
    public static final int DEFAULT_THICKEN_RADIUS = 1;
    public static final double DEFAULT_SLANT_DEGREES = 15;
    public static final double DEFAULT_NOISE_SIGMA = 0.2;

    private Shifts() {}

    /**
     * Applies the shift named by {@code spec} (see the class comment); {@code seed} drives the
     * random terms, so the same arguments always give the same images.
     *
     * @throws DataException if the spec names an unknown shift or an amount is out of range
     */
    public static LabeledImages apply(LabeledImages images, String spec, long seed) {
        if (spec == null || spec.isBlank()) {
            throw new DataException("empty shift spec; use e.g. thick, slant:15, noise:0.2 or thick+slant:12");
        }
        LabeledImages result = images;
        String[] terms = spec.trim().split("\\+");
        for (int t = 0; t < terms.length; t++) {
            String term = terms[t].trim().toLowerCase(Locale.ROOT);
            int colon = term.indexOf(':');
            String name = colon < 0 ? term : term.substring(0, colon).trim();
            String amount = colon < 0 ? null : term.substring(colon + 1).trim();
            // Each random term gets its own stream, so noise+noise is not the same noise twice.
            long termSeed = seed + 0x9E3779B97F4A7C15L * (t + 1);
            result = switch (name) {
                case "none" -> noAmount(name, amount, result);
                case "thick" -> thicken(result, amount == null ? DEFAULT_THICKEN_RADIUS : (int) number(spec, amount, true));
                case "slant" -> slant(result, amount == null ? DEFAULT_SLANT_DEGREES : number(spec, amount, false));
                case "noise" -> noise(result, amount == null ? DEFAULT_NOISE_SIGMA : number(spec, amount, false), termSeed);
                case "invert" -> invert(noAmount(name, amount, result));
                default -> throw new DataException("unknown shift '" + name + "' in '" + spec
                        + "'; known: none, thick[:radius], slant[:degrees], noise[:sigma], invert, joined with +");
            };
        }
        return result;
    }

    /**
     * Grey dilation: each pixel becomes the brightest pixel within {@code radius} (Euclidean), so
     * strokes get about {@code 2 * radius} pixels wider. Radius 0 leaves the images unchanged.
     */
    public static LabeledImages thicken(LabeledImages images, int radius) {
        if (radius < 0 || radius > 5) {
            throw new DataException("thicken radius must be in 0..5, got " + radius);
        }
        int rows = images.rows();
        int cols = images.cols();
        int n = images.pixelsPerImage();
        byte[] src = images.pixels();
        byte[] out = new byte[src.length];
        for (int img = 0; img < images.size(); img++) {
            int base = img * n;
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    int max = 0;
                    for (int dy = -radius; dy <= radius; dy++) {
                        int sy = y + dy;
                        if (sy < 0 || sy >= rows) {
                            continue;
                        }
                        for (int dx = -radius; dx <= radius; dx++) {
                            int sx = x + dx;
                            if (sx < 0 || sx >= cols || dx * dx + dy * dy > radius * radius) {
                                continue;
                            }
                            max = Math.max(max, src[base + sy * cols + sx] & 0xff);
                        }
                    }
                    out[base + y * cols + x] = (byte) max;
                }
            }
        }
        return with(images, out);
    }

    /**
     * Horizontal shear about the image centre by {@code degrees} (positive leans the top to the
     * right, like italics), sampled bilinearly; ink sheared past the border is lost.
     */
    public static LabeledImages slant(LabeledImages images, double degrees) {
        if (!(Math.abs(degrees) <= 60)) {
            throw new DataException("slant angle must be within ±60 degrees, got " + degrees);
        }
        int rows = images.rows();
        int cols = images.cols();
        int n = images.pixelsPerImage();
        double tan = Math.tan(Math.toRadians(degrees));
        double cy = (rows - 1) / 2.0;
        byte[] src = images.pixels();
        byte[] out = new byte[src.length];
        for (int img = 0; img < images.size(); img++) {
            int base = img * n;
            for (int y = 0; y < rows; y++) {
                // Inverse map: output (x, y) comes from source x - tan * (cy - y), same row.
                double offset = tan * (y - cy);
                for (int x = 0; x < cols; x++) {
                    double sx = x + offset;
                    int x0 = (int) Math.floor(sx);
                    double fx = sx - x0;
                    double left = pixel(src, base, y, x0, cols);
                    double right = pixel(src, base, y, x0 + 1, cols);
                    out[base + y * cols + x] = (byte) (int) Math.round(left + (right - left) * fx);
                }
            }
        }
        return with(images, out);
    }

    /**
     * Adds Gaussian noise with standard deviation {@code sigma * 255} to every pixel and clamps to
     * 0..255; the same seed gives the same noise.
     */
    public static LabeledImages noise(LabeledImages images, double sigma, long seed) {
        if (!(sigma >= 0 && sigma <= 1)) {
            throw new DataException("noise sigma must be in 0..1 (a fraction of full ink), got " + sigma);
        }
        SplittableRandom random = new SplittableRandom(seed);
        byte[] src = images.pixels();
        byte[] out = new byte[src.length];
        double scale = sigma * 255;
        for (int i = 0; i < src.length; i++) {
            double v = (src[i] & 0xff) + random.nextGaussian() * scale;
            out[i] = (byte) (int) Math.max(0, Math.min(255, Math.round(v)));
        }
        return with(images, out);
    }

    /** Swaps ink and paper: {@code 255 - v}. */
    public static LabeledImages invert(LabeledImages images) {
        byte[] src = images.pixels();
        byte[] out = new byte[src.length];
        for (int i = 0; i < src.length; i++) {
            out[i] = (byte) (255 - (src[i] & 0xff));
        }
        return with(images, out);
    }

    private static double pixel(byte[] src, int base, int y, int x, int cols) {
        return x < 0 || x >= cols ? 0 : src[base + y * cols + x] & 0xff;
    }

    private static LabeledImages with(LabeledImages images, byte[] pixels) {
        return new LabeledImages(pixels, images.labels().clone(), images.rows(), images.cols(), images.numClasses());
    }

    private static LabeledImages noAmount(String name, String amount, LabeledImages images) {
        if (amount != null) {
            throw new DataException("shift '" + name + "' takes no amount, got '" + name + ":" + amount + "'");
        }
        return images;
    }

    private static double number(String spec, String amount, boolean integer) {
        try {
            return integer ? Integer.parseInt(amount) : Double.parseDouble(amount);
        } catch (NumberFormatException e) {
            throw new DataException("shift amount '" + amount + "' in '" + spec + "' is not "
                    + (integer ? "an integer" : "a number"));
        }
    }
}
