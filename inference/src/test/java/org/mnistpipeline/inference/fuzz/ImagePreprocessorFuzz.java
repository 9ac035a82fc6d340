package org.mnistpipeline.inference.fuzz;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.hostile.HostileImages;

/**
 * Jazzer fuzz target: any bytes through {@link ImagePreprocessor#preprocess(byte[])}. A
 * {@link RequestException} (a 4xx with its message) is the expected refusal; anything else thrown,
 * an {@code OutOfMemoryError} included, is a finding. The pixel limit is a megapixel so that each
 * run is fast; the budget is what a small server has.
 */
public final class ImagePreprocessorFuzz {
    private static final ImagePreprocessor PREPROCESSOR = new ImagePreprocessor(1_000_000, new MemoryBudget(64L << 20));

    private ImagePreprocessorFuzz() {}

    public static void fuzzerTestOneInput(byte[] data) {
        try {
            float[] image = PREPROCESSOR.preprocess(data);
            if (image.length != ImagePreprocessor.PIXELS) {
                throw new AssertionError("preprocessed to " + image.length + " values");
            }
        } catch (RequestException expected) {
            Fuzzing.checkMessage(expected);
        }
    }

    /**
     * A small digit-like picture in every format and variant the decoders take: PNG grey, palette,
     * 16-bit RGBA and grey with alpha; GIF; JPEG baseline and progressive; BMP 24-bit, 8-bit
     * palette, RLE8 and 16-bit; and the lying headers of the hostile corpus.
     */
    public static Map<String, byte[]> seeds() {
        HostileImages.Picture ring = (x, y) -> Math.abs(Math.hypot(x - 20, y - 20) - 12) < 3 ? 255 : 0;
        BufferedImage grey = HostileImages.grey(40, 40, ring);
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("grey.png", HostileImages.encode(grey, "png"));
        seeds.put("palette.png", HostileImages.png(40, 40, 8, HostileImages.PALETTE, ring));
        seeds.put("rgba16.png", HostileImages.png(40, 40, 16, HostileImages.RGBA, ring));
        seeds.put("grey-alpha.png", HostileImages.png(40, 40, 8, HostileImages.GREY_ALPHA, ring));
        seeds.put("digit.gif", HostileImages.encode(grey, "gif"));
        seeds.put("baseline.jpg", HostileImages.jpeg(grey, false));
        seeds.put("progressive.jpg", HostileImages.jpeg(grey, true));
        BufferedImage rgb = new BufferedImage(40, 40, BufferedImage.TYPE_3BYTE_BGR);
        rgb.getGraphics().drawImage(grey, 0, 0, null);
        seeds.put("rgb.bmp", HostileImages.encode(rgb, "bmp"));
        BufferedImage indexed = new BufferedImage(40, 40, BufferedImage.TYPE_BYTE_INDEXED);
        indexed.getGraphics().drawImage(grey, 0, 0, null);
        seeds.put("indexed.bmp", HostileImages.encode(indexed, "bmp"));
        seeds.put("rle8.bmp", bmpRle8(indexed));
        BufferedImage rgb565 = new BufferedImage(40, 40, BufferedImage.TYPE_USHORT_565_RGB);
        rgb565.getGraphics().drawImage(grey, 0, 0, null);
        seeds.put("rgb565.bmp", HostileImages.encode(rgb565, "bmp"));
        seeds.put("embedded.bmp", HostileImages.bmpEmbedding(5, 300, seeds.get("grey.png")));
        return seeds;
    }

    private static byte[] bmpRle8(BufferedImage indexed) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("bmp").next();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var stream = new javax.imageio.stream.MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType("BI_RLE8");
            writer.write(null, new IIOImage(indexed, null, null), param);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
