package org.mnistpipeline.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.mnistpipeline.io.AtomicFiles;

/**
 * The IDX format (what MNIST ships in), read and written here only. Reads raw or gzip-compressed
 * files; only unsigned-byte payloads, which image and label files use. Every structural fact is
 * checked: magic number, element type, positive dimensions, exact payload length.
 */
public final class Idx {
    private static final int UNSIGNED_BYTE = 0x08;
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Deflate cannot expand a stream by more than this (258-byte matches in 2-bit codes, about 1032:1). */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private Idx() {}

    /** A file whose header declares more data than the reader was allowed to hold. */
    public static final class TooLarge extends DataException {
        TooLarge(String message) {
            super(message);
        }
    }

    /** An IDX tensor of unsigned bytes. */
    public record IdxArray(int[] dims, byte[] data) {
        public int count() {
            return dims[0];
        }
    }

    /**
     * Reads the header from {@code in} (magic number, unsigned-byte element type, rank 1 to 4,
     * positive dimensions), leaving it at the first data byte; the dimensions.
     */
    public static int[] readHeader(InputStream in, String name) throws IOException {
        DataInputStream data = in instanceof DataInputStream d ? d : new DataInputStream(in);
        int[] header = new int[4];
        for (int i = 0; i < 4; i++) {
            header[i] = data.read();
            if (header[i] < 0) {
                throw new DataException(name + ": truncated IDX header (file is " + i + " bytes long)");
            }
        }
        if (header[0] != 0 || header[1] != 0) {
            throw new DataException(String.format(
                    "%s: not an IDX file (magic number starts 0x%02x%02x, expected 0x0000)", name, header[0], header[1]));
        }
        if (header[2] != UNSIGNED_BYTE) {
            throw new DataException(String.format(
                    "%s: unsupported IDX element type 0x%02x (only unsigned bytes, 0x08, are supported)", name, header[2]));
        }
        int rank = header[3];
        if (rank < 1 || rank > 4) {
            throw new DataException(name + ": unsupported IDX rank " + rank + " (expected 1 to 4)");
        }
        int[] dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++) {
            try {
                dims[i] = data.readInt();
            } catch (EOFException e) {
                throw new DataException(name + ": truncated IDX header (dimension " + i + " missing)");
            }
            if (dims[i] <= 0) {
                throw new DataException(name + ": IDX dimension " + i + " is " + dims[i] + "; must be positive");
            }
            elements *= dims[i];
            if (elements > MAX_ELEMENTS) {
                throw new DataException(name + ": IDX dimensions " + Arrays.toString(dims) + " are too large");
            }
        }
        return dims;
    }

    /** Reads {@code file} (raw or gzip) with {@link #defaultLimit()} as the most payload it may allocate. */
    public static IdxArray read(Path file) {
        return read(file, defaultLimit());
    }

    /**
     * Reads {@code file} (raw or gzip), refusing it before anything is allocated when its header
     * declares more than {@code maxPayloadBytes} of data, more than a raw file holds, or more than
     * its gzip stream can possibly expand to (deflate's best ratio is 1032:1). A small gzip file of
     * zeros whose header claims millions of images is refused here, not by an OutOfMemoryError.
     */
    public static IdxArray read(Path file, long maxPayloadBytes) {
        return read(file, maxPayloadBytes, null);
    }

    /**
     * As {@link #read(Path, long)}, also feeding every uncompressed byte (header and data) to
     * {@code digest} when it is not null: the fingerprint of a dataset is that of its content,
     * however it is compressed.
     */
    public static IdxArray read(Path file, long maxPayloadBytes, java.security.MessageDigest digest) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            boolean gzip = isGzip(raw);
            InputStream plain = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            InputStream in = digest == null ? plain : new java.security.DigestInputStream(plain, digest);
            DataInputStream data = new DataInputStream(in);
            String name = file.toString();
            int[] dims = readHeader(data, name);
            long payload = payload(dims);
            long size = Files.size(file);
            long held = size - headerBytes(dims);
            if (!gzip && payload > held) {
                throw new DataException(String.format(java.util.Locale.ROOT, "%s: truncated IDX file: header"
                        + " promises %d bytes of data for dimensions %s, found %d", name, payload,
                        Arrays.toString(dims), held));
            }
            if (!gzip && payload < held) {
                throw new DataException(name + ": IDX file has trailing bytes after " + payload
                        + " bytes of data for dimensions " + Arrays.toString(dims) + " (" + (held - payload) + " more)");
            }
            if (payload > maxPayloadBytes) {
                throw new TooLarge(String.format(java.util.Locale.ROOT,
                        "%s: IDX header declares dimensions %s, %,d bytes of data, over the limit of %,d bytes"
                                + " this process reads at once; split the file into smaller ones",
                        name, Arrays.toString(dims), payload, maxPayloadBytes));
            }
            if (gzip && payload > size * MAX_DEFLATE_RATIO) {
                throw new DataException(String.format(java.util.Locale.ROOT,
                        "%s: IDX header declares dimensions %s, %,d bytes of data, but a gzip file of %,d bytes"
                                + " cannot hold that much; the header is corrupt", name, Arrays.toString(dims),
                        payload, size));
            }
            return new IdxArray(dims, readPayload(data, dims, name));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataException(file + ": file not found");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read IDX file: " + e.getMessage(), e);
        }
    }

    /**
     * The most payload {@link #read(Path)} allocates: a quarter of the heap this JVM may grow to,
     * so that one file, however its header is damaged, cannot take the process down.
     */
    public static long defaultLimit() {
        return Math.min(MAX_ELEMENTS, Runtime.getRuntime().maxMemory() / 4);
    }

    /** Bytes of data {@code dims} declare (1 byte per element). */
    public static long payload(int[] dims) {
        long elements = 1;
        for (int d : dims) {
            elements *= d;
        }
        return elements;
    }

    private static long headerBytes(int[] dims) {
        return 4L + 4L * dims.length;
    }

    private static boolean isGzip(InputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b;
    }

    /** Reads one IDX array from {@code in}; {@code name} labels error messages. */
    public static IdxArray read(InputStream in, String name) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int[] dims = readHeader(data, name);
        return new IdxArray(dims, readPayload(data, dims, name));
    }

    private static byte[] readPayload(DataInputStream data, int[] dims, String name) throws IOException {
        long elements = payload(dims);
        // readNBytes(int) grows its buffer as data arrives, so a corrupt header claiming gigabytes
        // costs only what the file really holds, instead of allocating the claimed size up front.
        byte[] payload = data.readNBytes((int) elements);
        if (payload.length < elements) {
            throw new DataException(String.format(
                    "%s: truncated IDX file: header promises %d bytes of data for dimensions %s, found %d",
                    name, elements, Arrays.toString(dims), payload.length));
        }
        if (data.read() >= 0) {
            throw new DataException(name + ": IDX file has trailing bytes after " + payload.length
                    + " bytes of data for dimensions " + Arrays.toString(dims));
        }
        return payload;
    }

    /** An IDX file of unsigned bytes in memory: the header for {@code dims}, then {@code data}. */
    public static byte[] encode(byte[] data, int... dims) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(data.length + 4 + 4 * dims.length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(out, data, dims);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory
        }
        return bytes.toByteArray();
    }

    /**
     * Writes both files of an IDX pair atomically into {@code dir}: {@code <prefix>-images-idx3-ubyte}
     * and {@code <prefix>-labels-idx1-ubyte}; {@code prefix} is e.g. {@code train} or {@code t10k}.
     */
    public static void write(Path dir, String prefix, LabeledImages images) {
        AtomicFiles.write(dir.resolve(prefix + "-images-idx3-ubyte"), out -> write(out, images.pixels(),
                images.size(), images.rows(), images.cols()));
        AtomicFiles.write(dir.resolve(prefix + "-labels-idx1-ubyte"), out -> write(out, images.labels(),
                images.size()));
    }

    /** A train/test dataset directory that {@link IdxDirectory#load} reads back. */
    public static void writeDataset(Path dir, LabeledImages train, LabeledImages test) {
        write(dir, "train", train);
        write(dir, "t10k", test);
    }

    private static void write(OutputStream out, byte[] data, int... dims) throws IOException {
        DataOutputStream header = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
        header.write(new byte[] {0, 0, UNSIGNED_BYTE, (byte) dims.length});
        for (int d : dims) {
            header.writeInt(d);
        }
        header.write(data);
        header.flush();
    }
}
