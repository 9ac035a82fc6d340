package org.mnistpipeline.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.Evaluation;

/** The report's pictures that are not charts: drawn directly with Java2D. */
final class Drawings {
    private static final Color CORRECT = new Color(0x2e7d32);
    private static final Color WRONG = new Color(0xc62828);
    private static final Color TEXT = new Color(0x222222);
    private static final int THUMBNAIL_TARGET_PX = 84; // 28 x 3: big enough to read a digit's strokes
    private static final int GRID_COLUMNS = 8;

    private Drawings() {}

    /**
     * Background of every confusion cell. The diagonal is green by the share of its row predicted
     * correctly (recall); off-diagonal cells are red relative to the largest off-diagonal count, so
     * a handful of errors stands out next to a thousand correct predictions. The square root keeps
     * single errors visible.
     */
    static Color[][] confusionColors(int[][] confusion) {
        int n = confusion.length;
        int maxOff = 1;
        int[] rowTotal = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                rowTotal[i] += confusion[i][j];
                if (i != j) {
                    maxOff = Math.max(maxOff, confusion[i][j]);
                }
            }
        }
        Color[][] colors = new Color[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int count = confusion[i][j];
                if (count == 0) {
                    colors[i][j] = Color.WHITE;
                } else if (i == j) {
                    colors[i][j] = tint(CORRECT, (double) count / rowTotal[i]);
                } else {
                    colors[i][j] = tint(WRONG, Math.sqrt((double) count / maxOff));
                }
            }
        }
        return colors;
    }

    /** {@code full} faded towards white; even the weakest non-zero cell keeps a visible tint. */
    private static Color tint(Color full, double strength) {
        double t = 0.12 + 0.88 * strength;
        return new Color(mix(255, full.getRed(), t), mix(255, full.getGreen(), t), mix(255, full.getBlue(), t));
    }

    /** Black or white, whichever reads better on {@code background}. */
    static Color textOn(Color background) {
        double luminance = (0.299 * background.getRed() + 0.587 * background.getGreen()
                + 0.114 * background.getBlue()) / 255;
        return luminance < 0.55 ? Color.WHITE : TEXT;
    }

    /** The confusion matrix as a heat map with counts in the cells, rows actual, columns predicted. */
    static byte[] confusionHeatMap(int[][] confusion) {
        int n = confusion.length;
        int cell = Math.max(12, Math.min(56, 600 / n));
        int left = 70;
        int top = 78;
        int size = cell * n;
        int width = left + size + 20;
        int height = top + size + 20;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            prepare(g, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.setColor(TEXT);
            g.drawString("Confusion matrix", left, 22);

            Font axisFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
            g.setFont(axisFont);
            centre(g, "predicted", left + size / 2, 48);
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            centre(g, "actual", -(top + size / 2), 20);
            g.setTransform(saved);

            // Tick labels only where they fit; 256 classes would be an unreadable smear.
            boolean ticks = cell >= 14;
            Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.min(13, cell - 3));
            Font countFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.min(13, Math.max(8, cell / 3)));
            Color[][] colors = confusionColors(confusion);
            for (int i = 0; i < n; i++) {
                if (ticks) {
                    g.setFont(tickFont);
                    g.setColor(TEXT);
                    centre(g, Integer.toString(i), left + i * cell + cell / 2, top - 8);
                    FontMetrics fm = g.getFontMetrics();
                    String label = Integer.toString(i);
                    g.drawString(label, left - 8 - fm.stringWidth(label),
                            top + i * cell + cell / 2 + fm.getAscent() / 2 - 1);
                }
                for (int j = 0; j < n; j++) {
                    Color background = colors[i][j];
                    int x = left + j * cell;
                    int y = top + i * cell;
                    g.setColor(background);
                    g.fillRect(x, y, cell, cell);
                    g.setColor(new Color(0xe0e0e0));
                    g.drawRect(x, y, cell, cell);
                    if (confusion[i][j] != 0) {
                        g.setFont(countFont);
                        String count = Integer.toString(confusion[i][j]);
                        FontMetrics fm = g.getFontMetrics();
                        // Skip counts that would spill out of a small cell rather than overprint neighbours.
                        if (fm.stringWidth(count) <= cell - 2) {
                            g.setColor(textOn(background));
                            g.drawString(count, x + (cell - fm.stringWidth(count)) / 2,
                                    y + cell / 2 + fm.getAscent() / 2 - 1);
                        }
                    }
                }
            }
            g.setColor(Color.GRAY);
            g.drawRect(left, top, size, size);
        } finally {
            g.dispose();
        }
        return png(image);
    }

    /**
     * The worst mistakes as upscaled greyscale thumbnails (ink dark on white paper, as a person
     * would see the digit), each captioned {@code true→pred (confidence)}.
     */
    static byte[] mistakeGrid(List<Evaluation.Mistake> mistakes, LabeledImages images) {
        int rows = images.rows();
        int cols = images.cols();
        int scale = Math.max(1, THUMBNAIL_TARGET_PX / Math.max(rows, cols));
        int thumbW = cols * scale;
        int thumbH = rows * scale;

        Font captionFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        // Fall back to ASCII where the font has no arrow glyph, rather than draw an empty box.
        String arrow = captionFont.canDisplay('\u2192') ? "\u2192" : "->";
        FontMetrics metrics = pg.getFontMetrics(captionFont);
        int captionWidth = 0;
        String[] captions = new String[mistakes.size()];
        for (int k = 0; k < mistakes.size(); k++) {
            Evaluation.Mistake m = mistakes.get(k);
            captions[k] = String.format(Locale.ROOT, "%d%s%d (%s)", m.actual(), arrow, m.predicted(),
                    confidence(m.confidence()));
            captionWidth = Math.max(captionWidth, metrics.stringWidth(captions[k]));
        }
        pg.dispose();

        int pad = 8;
        int captionHeight = metrics.getHeight() + 4;
        int cellW = Math.max(thumbW, captionWidth) + 2 * pad;
        int cellH = thumbH + captionHeight + 2 * pad;
        int columns = Math.max(1, Math.min(GRID_COLUMNS, mistakes.size()));
        int gridRows = Math.max(1, (mistakes.size() + columns - 1) / columns);
        int header = 30;
        int width = Math.max(columns * cellW, 260);
        int height = header + gridRows * cellH;

        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            prepare(g, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.setColor(TEXT);
            g.drawString(mistakes.isEmpty() ? "No mistakes" : "Most confident mistakes", pad, 20);
            // Nearest neighbour: keep the pixels square, blurring would invent strokes.
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setFont(captionFont);
            for (int k = 0; k < mistakes.size(); k++) {
                int x = (k % columns) * cellW;
                int y = header + (k / columns) * cellH;
                int tx = x + (cellW - thumbW) / 2;
                int ty = y + pad;
                g.drawImage(thumbnail(images, mistakes.get(k).index()), tx, ty, thumbW, thumbH, null);
                g.setColor(Color.LIGHT_GRAY);
                g.drawRect(tx - 1, ty - 1, thumbW + 1, thumbH + 1);
                g.setColor(WRONG);
                g.drawString(captions[k], x + (cellW - metrics.stringWidth(captions[k])) / 2,
                        ty + thumbH + 4 + metrics.getAscent());
            }
        } finally {
            g.dispose();
        }
        return png(image);
    }

    /** Three decimals where two would round a 0.998 mistake up to a misleading "1.00". */
    static String confidence(double confidence) {
        return String.format(Locale.ROOT, confidence >= 0.99 ? "%.3f" : "%.2f", confidence);
    }

    private static BufferedImage thumbnail(LabeledImages images, int index) {
        int n = images.pixelsPerImage();
        BufferedImage thumb = new BufferedImage(images.cols(), images.rows(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] target = ((DataBufferByte) thumb.getRaster().getDataBuffer()).getData();
        byte[] source = images.pixels();
        int base = index * n;
        for (int i = 0; i < n; i++) {
            // Stored 255 = ink; shown as dark ink on white paper.
            target[i] = (byte) (255 - (source[base + i] & 0xff));
        }
        return thumb;
    }

    private static void prepare(Graphics2D g, int width, int height) {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
    }

    private static void centre(Graphics2D g, String text, int x, int baseline) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }

    private static int mix(int from, int to, double t) {
        return (int) Math.round(from + (to - from) * t);
    }

    static String hex(Color c) {
        return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    private static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer available in this JDK");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode image as PNG", e);
        }
        return out.toByteArray();
    }
}
