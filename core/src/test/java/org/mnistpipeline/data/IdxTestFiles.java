package org.mnistpipeline.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files, raw or gzip, and ustar archives, so tests never need the real MNIST files. */
final class IdxTestFiles {
    private IdxTestFiles() {}

    /** IDX bytes: magic {@code 0x0000}, element type 0x08, the dimensions, then {@code data}. */
    static byte[] idx(int[] dims, byte[] data) {
        return idx(0x08, dims, data);
    }

    static byte[] idx(int elementType, int[] dims, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        buffer.put((byte) 0).put((byte) 0).put((byte) elementType).put((byte) dims.length);
        for (int dim : dims) {
            buffer.putInt(dim);
        }
        return buffer.put(data).array();
    }

    /** {@code count} images of {@code rows x cols}; pixel {@code p} of image {@code i} is {@code i * 7 + p}. */
    static byte[] images(int count, int rows, int cols) {
        byte[] pixels = new byte[count * rows * cols];
        for (int i = 0; i < count; i++) {
            for (int p = 0; p < rows * cols; p++) {
                pixels[i * rows * cols + p] = (byte) (i * 7 + p);
            }
        }
        return idx(new int[] {count, rows, cols}, pixels);
    }

    static byte[] labels(int... labels) {
        byte[] data = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            data[i] = (byte) labels[i];
        }
        return idx(new int[] {labels.length}, data);
    }

    static byte[] gzip(byte[] content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] content) {
        try {
            return Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The four files of a tiny dataset (5 train and 3 test images of 2x3, labels 0..2), keyed by
     * their MNIST names, uncompressed.
     */
    static Map<String, byte[]> tinyMnist() {
        return Map.of(
                "train-images-idx3-ubyte", images(5, 2, 3),
                "train-labels-idx1-ubyte", labels(0, 1, 2, 1, 0),
                "t10k-images-idx3-ubyte", images(3, 2, 3),
                "t10k-labels-idx1-ubyte", labels(2, 0, 1));
    }

    /** Writes {@code files} into {@code dir} under their names, gzip-compressed (adding .gz) when asked. */
    static Path writeAll(Path dir, Map<String, byte[]> files, boolean gzip) {
        files.forEach((name, content) -> write(dir.resolve(gzip ? name + ".gz" : name), gzip ? gzip(content) : content));
        return dir;
    }

    /** A gzip-compressed ustar archive holding {@code entries} (name to content), in iteration order. */
    static byte[] tgz(Map<String, byte[]> entries) {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        entries.forEach((name, content) -> {
            tar.writeBytes(tarHeader(name, content.length));
            tar.writeBytes(content);
            tar.writeBytes(new byte[(512 - content.length % 512) % 512]);
        });
        tar.writeBytes(new byte[1024]); // two zero blocks end the archive
        return gzip(tar.toByteArray());
    }

    private static byte[] tarHeader(String name, long size) {
        byte[] header = new byte[512];
        putAscii(header, 0, name);
        putAscii(header, 100, "0000644");
        putAscii(header, 108, "0000000");
        putAscii(header, 116, "0000000");
        putAscii(header, 124, String.format("%011o", size));
        putAscii(header, 136, String.format("%011o", 0L));
        header[156] = '0';
        putAscii(header, 257, "ustar");
        putAscii(header, 263, "00");
        // The checksum is computed with its own field read as spaces.
        putAscii(header, 148, "        ");
        int sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        putAscii(header, 148, String.format("%06o", sum));
        header[154] = 0;
        header[155] = ' ';
        return header;
    }

    private static void putAscii(byte[] header, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }
}
