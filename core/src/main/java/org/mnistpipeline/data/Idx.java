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

    private Idx() {}

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

    public static IdxArray read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(maybeGunzip(raw), file.toString());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataException(file + ": file not found");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read IDX file: " + e.getMessage(), e);
        }
    }

    static InputStream maybeGunzip(InputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        return gzip ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
    }

    /** Reads one IDX array from {@code in}; {@code name} labels error messages. */
    public static IdxArray read(InputStream in, String name) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int[] dims = readHeader(data, name);
        long elements = 1;
        for (int d : dims) {
            elements *= d;
        }
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
        return new IdxArray(dims, payload);
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
