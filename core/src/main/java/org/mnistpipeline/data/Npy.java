package org.mnistpipeline.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mnistpipeline.RequestException;

/**
 * NumPy's {@code .npy} format (versions 1.0, 2.0 and 3.0), the one reader of its header: the HTTP
 * decoder reads a whole body through it, S3 batch scoring a stream. Only what MNIST inputs need:
 * C order, little-endian {@code <f4} or {@code <f8}, or bytes ({@code |u1}). A file that is not one,
 * or not one of these, is a 400 {@link RequestException} naming what to send instead.
 */
public final class Npy {
    /** Longest header accepted; NumPy writes a few hundred bytes. */
    public static final int MAX_HEADER_BYTES = 1 << 20;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /**
     * A file's header.
     *
     * @param dtype       as written, e.g. {@code <f4}
     * @param itemSize    bytes per value: 1, 4 or 8
     * @param shape       the array's dimensions
     * @param headerBytes bytes from the start of the file to the first value
     */
    public record Header(String dtype, int itemSize, long[] shape, int headerBytes) {
        /** The value at byte offset {@code at} of {@code data} (little-endian); bytes scaled to [0, 1]. */
        public float value(byte[] data, int at) {
            return switch (itemSize) {
                case 1 -> (data[at] & 0xff) / 255f;
                case 4 -> Float.intBitsToFloat((int) littleEndian(data, at, 4));
                default -> (float) Double.longBitsToDouble(littleEndian(data, at, 8));
            };
        }

        private static long littleEndian(byte[] data, int at, int n) {
            long v = 0;
            for (int i = n - 1; i >= 0; i--) {
                v = v << 8 | (data[at + i] & 0xff);
            }
            return v;
        }
    }

    /** The header of a whole file in memory. */
    public static Header readHeader(byte[] file) {
        try {
            return readHeader(new ByteArrayInputStream(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
    }

    /** Reads the header from {@code in}, leaving it at the first value. */
    public static Header readHeader(InputStream in) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || magic[1] != 'N' || magic[2] != 'U' || magic[3] != 'M'
                || magic[4] != 'P' || magic[5] != 'Y') {
            throw bad("not a NumPy .npy file (it must start with \\x93NUMPY)");
        }
        int major = magic[6] & 0xff;
        if (major < 1 || major > 3) {
            throw bad(".npy format version " + major + "." + (magic[7] & 0xff) + " is not supported (1.0, 2.0, 3.0 are)");
        }
        byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
        if (lengthBytes.length < (major == 1 ? 2 : 4)) {
            throw bad(".npy header is truncated");
        }
        long length = 0;
        for (int i = lengthBytes.length - 1; i >= 0; i--) {
            length = length << 8 | (lengthBytes[i] & 0xff);
        }
        if (length > MAX_HEADER_BYTES) {
            throw bad(".npy header claims " + length + " bytes; NumPy writes a few hundred");
        }
        byte[] dict = in.readNBytes((int) length);
        if (dict.length < length) {
            throw bad(".npy header is truncated: it claims " + length + " bytes");
        }
        String header = new String(dict, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, "descr");
        String shape = group(SHAPE, header, "shape");
        if (group(FORTRAN, header, "fortran_order").equals("True")) {
            throw bad(".npy array is in Fortran order; save it in C order (np.ascontiguousarray)");
        }
        int itemSize = switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            case "|u1", "<u1", ">u1", "u1" -> 1;
            case ">f4", ">f8" -> throw bad(".npy dtype " + descr + " is big-endian; save it as little-endian ("
                    + descr.replace('>', '<') + ")");
            default -> throw bad(".npy dtype " + RequestException.quote(descr, 20) + " is not supported; use"
                    + " float32 (<f4), float64 (<f8) or uint8 (|u1)");
        };
        return new Header(descr, itemSize, parseShape(shape), 6 + 2 + lengthBytes.length + (int) length);
    }

    private static String group(Pattern pattern, String header, String key) {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            // Not echoed: the header is the sender's own text, up to a megabyte of it.
            throw bad(".npy header has no valid '" + key + "' entry; NumPy writes {'descr': '<f4', 'fortran_order':"
                    + " False, 'shape': (N, 784), }");
        }
        return m.group(1);
    }

    private static long[] parseShape(String text) {
        List<Long> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String s = part.trim();
            if (s.isEmpty()) {
                continue;
            }
            try {
                dims.add(Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s));
            } catch (NumberFormatException e) {
                throw bad(".npy shape (" + RequestException.quote(text, 40) + ") is not a tuple of whole numbers");
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static RequestException bad(String message) {
        return RequestException.badInput(message);
    }
}
