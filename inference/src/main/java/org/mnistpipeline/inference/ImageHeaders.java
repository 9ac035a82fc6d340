package org.mnistpipeline.inference;

import java.util.Arrays;
import java.util.HexFormat;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;

/**
 * Recognises the four image formats read here by their first bytes and checks, before any
 * decoder sees the bytes, the fields that the JDK's decoders trust and allocate from: a PNG
 * chunk's length (a palette PNG's ancillary chunks are read into arrays of the length they claim),
 * a BMP's embedded JPEG or PNG (read into an array of the {@code imageSize} the header claims, then
 * decoded with no size check at all), a JPEG's segment lengths and number of scans (each scan of a
 * progressive JPEG passes over the whole image again) and the coefficient memory a progressive or
 * multi-scan JPEG holds. Other formats ImageIO might read (TIFF, WBMP, any plugin on the class
 * path) are refused: their costs are not budgeted.
 */
final class ImageHeaders {
    /** A progressive JPEG of more scans than this is refused; encoders write about ten. */
    static final int MAX_JPEG_SCANS = 100;

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int BI_JPEG = 4;
    private static final int BI_PNG = 5;

    private ImageHeaders() {}

    /**
     * What the checks found.
     *
     * @param format       ImageIO's format name: png, jpeg, gif or bmp
     * @param extraBytes   memory the decoder holds besides the decoded image and its row buffers
     *                     (a JPEG's coefficients, a BMP's compressed data)
     */
    record Header(String format, long extraBytes) {
        String shown() {
            return format.toUpperCase(java.util.Locale.ROOT);
        }
    }

    /** Checks {@code bytes} as the format its first bytes announce; a 415 for any other format, a 400 for a lie. */
    static Header inspect(byte[] bytes) {
        if (startsWith(bytes, PNG_SIGNATURE)) {
            return png(bytes);
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff) {
            return jpeg(bytes);
        }
        if (startsWith(bytes, "GIF87a".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                || startsWith(bytes, "GIF89a".getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
            return new Header("gif", 64 * 1024); // the LZW tables
        }
        if (bytes.length >= 2 && bytes[0] == 'B' && bytes[1] == 'M') {
            return bmp(bytes);
        }
        byte[] head = Arrays.copyOf(bytes, Math.min(8, bytes.length));
        throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "not a PNG, JPEG, GIF or BMP image (it starts with "
                + HexFormat.ofDelimiter(" ").formatHex(head) + ")");
    }

    /** Walks every chunk: each must fit in what is left of the file, and IHDR must come first. */
    private static Header png(byte[] b) {
        int pos = PNG_SIGNATURE.length;
        boolean first = true;
        while (pos + 8 <= b.length) {
            long length = u32be(b, pos);
            String type = new String(b, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (first) {
                if (!type.equals("IHDR") || length != 13) {
                    throw corrupt("PNG", "it does not start with its IHDR header chunk");
                }
                first = false;
            }
            long left = b.length - pos - 8L;
            if (length > Integer.MAX_VALUE || length + 4 > left) {
                if (type.equals("IDAT") || type.equals("IEND")) {
                    // Image data cut short: the decoder reads it as a stream and reports the truncation.
                    break;
                }
                throw corrupt("PNG", "its " + printable(type) + " chunk claims " + length + " bytes but only "
                        + Math.max(0, left) + " follow (truncated or corrupt)");
            }
            if (type.equals("IEND")) {
                break;
            }
            pos += 12 + (int) length;
        }
        if (first) {
            throw corrupt("PNG", "it ends before its IHDR header chunk (truncated)");
        }
        return new Header("png", 0);
    }

    /**
     * Walks the segments up to the end of the image: lengths must fit, scans are counted, the
     * frame header (SOF) gives the components and their sampling for the coefficient memory.
     */
    private static Header jpeg(byte[] b) {
        int pos = 2;
        int scans = 0;
        int[] frame = null; // width, height, then (h, v) per component
        boolean progressive = false;
        while (pos < b.length) {
            while (pos < b.length && (b[pos] & 0xff) != 0xff) {
                pos++; // stray bytes before a marker, which libjpeg skips with a warning
            }
            while (pos < b.length && (b[pos] & 0xff) == 0xff) {
                pos++; // fill bytes
            }
            if (pos >= b.length) {
                break;
            }
            int marker = b[pos++] & 0xff;
            if (marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
                continue; // no length
            }
            if (marker == 0xd9) {
                break; // end of image
            }
            if (pos + 2 > b.length) {
                break; // truncated: the decoder says so
            }
            int length = (b[pos] & 0xff) << 8 | (b[pos + 1] & 0xff);
            if (length < 2 || pos + length > b.length) {
                throw corrupt("JPEG", String.format("its segment FF%02X claims %d bytes but only %d follow"
                        + " (truncated or corrupt)", marker, length, b.length - pos));
            }
            boolean sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (sof && frame == null && length >= 8) {
                int components = b[pos + 7] & 0xff;
                if (length < 8 + 3 * components) {
                    throw corrupt("JPEG", "its frame header is shorter than its " + components + " components need");
                }
                frame = new int[2 + 2 * components];
                frame[0] = (b[pos + 5] & 0xff) << 8 | (b[pos + 6] & 0xff);
                frame[1] = (b[pos + 3] & 0xff) << 8 | (b[pos + 4] & 0xff);
                for (int c = 0; c < components; c++) {
                    int sampling = b[pos + 8 + 3 * c + 1] & 0xff;
                    frame[2 + 2 * c] = Math.max(1, sampling >> 4);
                    frame[3 + 2 * c] = Math.max(1, sampling & 0x0f);
                }
                progressive = marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce;
            }
            pos += length;
            if (marker == 0xda) {
                if (++scans > MAX_JPEG_SCANS) {
                    throw new RequestException(Kind.TOO_LARGE, "the JPEG has more than " + MAX_JPEG_SCANS
                            + " scans, and each is a pass over the whole image; save it as a baseline JPEG");
                }
                pos = skipEntropyCodedData(b, pos);
            }
        }
        if (frame == null) {
            throw corrupt("JPEG", "it has no frame header (SOF) giving its size");
        }
        // A progressive or multi-scan JPEG keeps every coefficient until the last scan: 2 bytes per
        // sample of each component at its own sampling, in whole 8×8 blocks (native memory, but memory).
        long coefficients = 0;
        if (progressive || scans > 1) {
            int hMax = 1;
            int vMax = 1;
            for (int c = 2; c < frame.length; c += 2) {
                hMax = Math.max(hMax, frame[c]);
                vMax = Math.max(vMax, frame[c + 1]);
            }
            for (int c = 2; c < frame.length; c += 2) {
                long blocksWide = ceilDiv((long) frame[0] * frame[c], 8L * hMax) + frame[c];
                long blocksHigh = ceilDiv((long) frame[1] * frame[c + 1], 8L * vMax) + frame[c + 1];
                coefficients += blocksWide * blocksHigh * 64 * 2;
            }
        }
        return new Header("jpeg", coefficients);
    }

    /** From the first byte after a scan header to the next marker (not a stuffed 0xFF00, not a restart marker). */
    private static int skipEntropyCodedData(byte[] b, int pos) {
        while (pos + 1 < b.length) {
            if ((b[pos] & 0xff) == 0xff) {
                int next = b[pos + 1] & 0xff;
                if (next != 0 && !(next >= 0xd0 && next <= 0xd7)) {
                    return pos;
                }
            }
            pos++;
        }
        return b.length;
    }

    /**
     * Refuses BMPs with an embedded JPEG or PNG: the JDK reads those into an array of the size the
     * header claims (2 GB for a 281-byte file) and decodes the embedded image with no limit.
     * Run-length encoded data is read in steps as it arrives, so it costs what the file holds.
     */
    private static Header bmp(byte[] b) {
        if (b.length < 18) {
            throw corrupt("BMP", "it ends inside its file header (truncated)");
        }
        long infoSize = u32le(b, 14);
        if (infoSize >= 40 && b.length >= 34) {
            long compression = u32le(b, 30);
            if (compression == BI_JPEG || compression == BI_PNG) {
                throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "BMPs with embedded "
                        + (compression == BI_JPEG ? "JPEG" : "PNG") + " data are not supported; send the "
                        + (compression == BI_JPEG ? "JPEG" : "PNG") + " itself");
            }
        }
        return new Header("bmp", b.length); // run-length data, read in steps, at most the file again
    }

    private static RequestException corrupt(String format, String why) {
        return new RequestException(Kind.BAD_INPUT, "the " + format + " image is corrupt: " + why);
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static long u32be(byte[] b, int at) {
        return (b[at] & 0xffL) << 24 | (b[at + 1] & 0xffL) << 16 | (b[at + 2] & 0xffL) << 8 | (b[at + 3] & 0xffL);
    }

    private static long u32le(byte[] b, int at) {
        return (b[at + 3] & 0xffL) << 24 | (b[at + 2] & 0xffL) << 16 | (b[at + 1] & 0xffL) << 8 | (b[at] & 0xffL);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static String printable(String type) {
        return type.replaceAll("[^A-Za-z]", "?");
    }
}
