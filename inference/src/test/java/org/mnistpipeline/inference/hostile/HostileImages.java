package org.mnistpipeline.inference.hostile;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Image files written byte by byte, as an attacker would: valid structure with lying fields,
 * decompression bombs small on the wire and huge decoded, and big real pictures of a digit. PNGs
 * are streamed row by row, so a 40-megapixel one costs its compressed size to make.
 */
public final class HostileImages {
    /** PNG colour types. */
    public static final int GREY = 0;
    public static final int RGB = 2;
    public static final int PALETTE = 3;
    public static final int GREY_ALPHA = 4;
    public static final int RGBA = 6;

    private HostileImages() {}

    /** The value (0 paper .. 255 ink) of a pixel of a picture; the picture is scaled to the canvas. */
    @FunctionalInterface
    public interface Picture {
        int ink(int x, int y);
    }

    /** Nothing drawn: a blank page. */
    public static final Picture BLANK = (x, y) -> 0;

    /** A 28×28 MNIST digit ({@code pixels}, 784 bytes) stretched over a {@code w}×{@code h} canvas. */
    public static Picture digit(byte[] pixels, int w, int h) {
        return (x, y) -> pixels[(int) ((long) y * 28 / h) * 28 + (int) ((long) x * 28 / w)] & 0xff;
    }

    /**
     * A PNG of {@code w}×{@code h} in the given bit depth and colour type, dark ink on white paper
     * (opaque), rows deflated as they are made. {@code extraChunks} go between IHDR and IDAT.
     */
    public static byte[] png(int w, int h, int bitDepth, int colourType, Picture picture, byte[]... extraChunks) {
        int channels = switch (colourType) {
            case GREY, PALETTE -> 1;
            case GREY_ALPHA -> 2;
            case RGB -> 3;
            case RGBA -> 4;
            default -> throw new IllegalArgumentException("colour type " + colourType);
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            out.write(chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bitDepth)
                    .put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).array()));
            if (colourType == PALETTE) {
                byte[] palette = new byte[256 * 3];
                for (int i = 0; i < 256; i++) {
                    Arrays.fill(palette, 3 * i, 3 * i + 3, (byte) (255 - i));
                }
                out.write(chunk("PLTE", palette));
            }
            for (byte[] extra : extraChunks) {
                out.write(extra);
            }
            ByteArrayOutputStream idat = new ByteArrayOutputStream();
            Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
            try (DeflaterOutputStream z = new DeflaterOutputStream(idat, deflater, 1 << 16)) {
                byte[] row = new byte[1 + (int) (((long) w * channels * bitDepth + 7) / 8)];
                for (int y = 0; y < h; y++) {
                    fillRow(row, y, w, bitDepth, colourType, channels, picture);
                    z.write(row);
                }
            } finally {
                deflater.end();
            }
            out.write(chunk("IDAT", idat.toByteArray()));
            out.write(chunk("IEND", new byte[0]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void fillRow(byte[] row, int y, int w, int bitDepth, int colourType, int channels, Picture p) {
        row[0] = 0; // filter: none
        if (bitDepth < 8) {
            Arrays.fill(row, 1, row.length, (byte) 0); // index / grey 0 everywhere: flat
            return;
        }
        int at = 1;
        for (int x = 0; x < w; x++) {
            int ink = p.ink(x, y);
            int paper = colourType == PALETTE ? ink : 255 - ink; // palette index i is grey 255 - i
            for (int c = 0; c < channels; c++) {
                boolean alpha = (colourType == GREY_ALPHA && c == 1) || (colourType == RGBA && c == 3);
                int v = alpha ? 255 : paper;
                row[at++] = (byte) v;
                if (bitDepth == 16) {
                    row[at++] = (byte) v;
                }
            }
        }
    }

    /** One PNG chunk: length, type, data, CRC. */
    public static byte[] chunk(String type, byte[] data) {
        return chunk(type, data, data.length);
    }

    /** A chunk whose length field says {@code claimedLength}, whatever its data. */
    public static byte[] chunk(String type, byte[] data, long claimedLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(out)) {
            d.writeInt((int) claimedLength);
            byte[] t = type.getBytes(StandardCharsets.US_ASCII);
            d.write(t);
            d.write(data);
            CRC32 crc = new CRC32();
            crc.update(t);
            crc.update(data);
            d.writeInt((int) crc.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * A zlib stream of {@code megabytes} MB of zero bytes, about a thousandth of that on the wire,
     * made in milliseconds: one block of a megabyte of zeros compressed after a full flush (so it
     * never refers back past itself) is repeated, then a final empty block and the checksum (the
     * Adler-32 of n zeros is {@code (n mod 65521) << 16 | 1}).
     */
    public static byte[] zerosBomb(int megabytes) {
        Deflater raw = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] block;
        byte[] end;
        try {
            raw.setInput(new byte[1 << 20]);
            block = drain(raw, Deflater.FULL_FLUSH);
            raw.finish();
            end = drain(raw, Deflater.NO_FLUSH);
        } finally {
            raw.end();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(2 + block.length * megabytes + end.length + 4);
        out.write(0x78);
        out.write(0xda);
        for (int i = 0; i < megabytes; i++) {
            out.write(block, 0, block.length);
        }
        out.write(end, 0, end.length);
        long n = (long) megabytes << 20;
        int adler = (int) ((n % 65521) << 16 | 1);
        out.write(adler >>> 24);
        out.write(adler >>> 16);
        out.write(adler >>> 8);
        out.write(adler);
        return out.toByteArray();
    }

    private static byte[] drain(Deflater deflater, int flush) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = deflater.deflate(buffer, 0, buffer.length, flush)) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** {@code data} deflated (zlib), as IDAT, zTXt and iCCP hold it. */
    public static byte[] deflate(byte[] data, int repeat) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        try (DeflaterOutputStream z = new DeflaterOutputStream(out, deflater, 1 << 16)) {
            for (int i = 0; i < repeat; i++) {
                z.write(data);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deflater.end();
        }
        return out.toByteArray();
    }

    /**
     * The 281-byte BMP of the issue: a BITMAPINFOHEADER with BI_PNG compression whose
     * {@code imageSize} claims {@code claimedImageSize} bytes (0x7ffffff0: the JDK allocated 2 GB),
     * followed by a small real PNG.
     */
    public static byte[] bmpEmbedding(int compression, long claimedImageSize, byte[] embedded) {
        ByteBuffer b = ByteBuffer.allocate(54 + embedded.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54 + embedded.length).putInt(0).putInt(54);
        b.putInt(40).putInt(16).putInt(16).putShort((short) 1).putShort((short) 0).putInt(compression)
                .putInt((int) claimedImageSize).putInt(2835).putInt(2835).putInt(0).putInt(0);
        b.put(embedded);
        return b.array();
    }

    /**
     * A BMP header of {@code w}×{@code h} at {@code bitsPerPixel} with {@code compression}, a
     * {@code bfOffBits} of {@code dataOffset} and {@code imageSize}, followed by {@code data}.
     * {@code infoSize} 40 (BITMAPINFOHEADER) or 124 (V5; then {@code profileSize} bytes of
     * embedded colour profile are claimed at offset 0).
     */
    public static byte[] bmp(int infoSize, int w, int h, int bitsPerPixel, int compression, long dataOffset,
            long imageSize, long profileSize, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(14 + infoSize + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(14 + infoSize + data.length).putInt(0).putInt((int) dataOffset);
        b.putInt(infoSize).putInt(w).putInt(h).putShort((short) 1).putShort((short) bitsPerPixel)
                .putInt(compression).putInt((int) imageSize).putInt(2835).putInt(2835).putInt(0).putInt(0);
        if (infoSize == 124) {
            b.putInt(0x00ff0000).putInt(0x0000ff00).putInt(0x000000ff).putInt(0);
            b.putInt(0x4d424544); // 'MBED': PROFILE_EMBEDDED
            b.put(new byte[36 + 12]); // endpoints and gamma
            b.putInt(4).putInt(infoSize).putInt((int) profileSize).putInt(0); // intent, profile data, size, reserved
        }
        b.put(data);
        return b.array();
    }

    /** {@code image} encoded by ImageIO ({@code png}, {@code bmp}, {@code gif}, {@code tiff}, {@code wbmp}). */
    public static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A JPEG of {@code image}, baseline or progressive. */
    public static byte[] jpeg(BufferedImage image, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.9f);
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** A greyscale image of {@code picture} (dark ink on white) at {@code w}×{@code h}. */
    public static BufferedImage grey(int w, int h, Picture picture) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] row = new byte[w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                row[x] = (byte) (255 - picture.ink(x, y));
            }
            image.getRaster().setDataElements(0, y, w, 1, row);
        }
        return image;
    }

    /** Offset of the first marker {@code 0xFF marker} in a JPEG, or -1. */
    public static int jpegMarker(byte[] jpeg, int marker) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == marker) {
                return i;
            }
        }
        return -1;
    }
}
