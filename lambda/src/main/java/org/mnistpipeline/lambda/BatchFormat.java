package org.mnistpipeline.lambda;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.TensorDecoders;
import org.mnistpipeline.inference.http.InputDecoder;

/**
 * The object formats batch scoring reads, each as a stream: one record at a time, never the whole
 * object. Chosen by the key's suffix (after an optional {@code .gz}, which is gunzipped on the
 * fly), else by the object's {@code Content-Type}:
 *
 * <dl>
 *   <dt>CSV: {@code *.csv}, {@code text/csv}</dt>
 *   <dd>one image per line, 784 numbers, as {@code POST /invocations} takes {@code text/csv}
 *       (values in [0, 1], or 0..255 when a line has a value over 1).</dd>
 *   <dt>JSON lines: {@code *.jsonl}, {@code *.ndjson}, {@code application/jsonlines},
 *       {@code application/x-ndjson}</dt>
 *   <dd>one image per line, any single-image form {@code application/json} takes: {@code [784 numbers]},
 *       {@code [[28 numbers] × 28]} or {@code {"instances": [image]}}.</dd>
 *   <dt>NumPy: {@code *.npy}, {@code application/x-npy}</dt>
 *   <dd>as {@code POST /invocations} takes it (C order, {@code <f4}, {@code <f8} or {@code |u1},
 *       shape (N, 784), (N, 28, 28) or (N, 1, 28, 28)), read one image at a time.</dd>
 *   <dt>IDX images: {@code *idx3-ubyte}, {@code application/x-idx}</dt>
 *   <dd>MNIST's own file format: unsigned bytes, shape (N, 28, 28), divided by 255.</dd>
 * </dl>
 */
enum BatchFormat {
    CSV, JSON_LINES, NPY, IDX;

    /** Longest text line read; a longer one is an error line (784 floats take under 20 KB). */
    static final int MAX_LINE_BYTES = 1 << 20;
    static final String SUPPORTED = "CSV (*.csv, text/csv), JSON lines (*.jsonl, *.ndjson, application/jsonlines,"
            + " application/x-ndjson), NumPy (*.npy, application/x-npy) or IDX images (*-idx3-ubyte, application/x-idx),"
            + " optionally gzipped (*.gz)";

    private static final TensorDecoders TENSORS = new TensorDecoders();

    /** The format of {@code key} (or, when its name does not say, its content type). */
    static BatchFormat of(String key, String contentType) {
        String name = key.toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".jsonlines")) {
            return JSON_LINES;
        }
        if (name.endsWith(".npy")) {
            return NPY;
        }
        if (name.endsWith("idx3-ubyte")) {
            return IDX;
        }
        if (name.endsWith("idx1-ubyte")) {
            throw RequestException.unsupportedMediaType("s3 object " + key + " is an IDX label file (idx1); batch scoring reads images:"
                    + " upload the matching -idx3-ubyte file");
        }
        String type = InputDecoder.mediaType(contentType);
        switch (type) {
            case "text/csv":
                return CSV;
            case "application/jsonlines", "application/x-jsonlines", "application/jsonl", "application/x-ndjson":
                return JSON_LINES;
            case TensorDecoders.NPY:
                return NPY;
            case "application/x-idx":
                return IDX;
            default:
                throw RequestException.unsupportedMediaType("s3 object " + key + " (Content-Type " + (type.isEmpty() ? "none" : type)
                        + ") is not a batch format this function reads; upload " + SUPPORTED);
        }
    }

    static boolean gzipped(String key) {
        return key.toLowerCase(Locale.ROOT).endsWith(".gz");
    }

    /** Reads every record of {@code in} into {@code sink}; a {@link RequestException} (415 format, 400 broken) when the object is unreadable as a whole. */
    void read(InputStream in, S3BatchScorer.Sink sink) throws IOException {
        switch (this) {
            case CSV, JSON_LINES -> readLines(in, sink);
            case NPY -> readNpy(in, sink);
            case IDX -> readIdx(in, sink);
        }
    }

    private void readLines(InputStream in, S3BatchScorer.Sink sink) throws IOException {
        LineReader lines = new LineReader(in, MAX_LINE_BYTES);
        for (long index = 0; lines.next(); index++) {
            if (lines.tooLong()) {
                sink.error(index, "line " + (index + 1) + " is longer than " + MAX_LINE_BYTES + " bytes");
                continue;
            }
            if (lines.isBlank()) {
                continue;
            }
            byte[] line = lines.copy();
            try {
                List<float[]> images = this == CSV ? TENSORS.decode(TensorDecoders.CSV, line) : TENSORS.json(line);
                if (images.size() != 1) {
                    sink.error(index, "line " + (index + 1) + " holds " + images.size() + " images; put one per line");
                } else {
                    sink.image(index, images.getFirst());
                }
            } catch (RequestException e) {
                // The decoder numbers lines within what it was given, i.e. always "line 1".
                String message = e.getMessage().replaceFirst("^line 1\\b", "").replaceFirst("^[,:]\\s*", "");
                sink.error(index, "line " + (index + 1) + ": " + message);
            }
        }
    }

    private static void readIdx(InputStream in, S3BatchScorer.Sink sink) throws IOException {
        byte[] header = in.readNBytes(4);
        if (header.length < 4 || header[0] != 0 || header[1] != 0) {
            throw RequestException.badInput("not an IDX file: it does not start with the IDX magic number (00 00 08 03)");
        }
        if (header[2] != 0x08) {
            throw RequestException.unsupportedMediaType(String.format(Locale.ROOT, "IDX element type 0x%02x is not supported; MNIST"
                    + " images are unsigned bytes (0x08)", header[2]));
        }
        if (header[3] != 3) {
            throw RequestException.unsupportedMediaType("IDX file has " + header[3] + " dimension(s); images are (N, 28, 28)"
                    + (header[3] == 1 ? " (this looks like a label file)" : ""));
        }
        byte[] dims = in.readNBytes(12);
        if (dims.length < 12) {
            throw RequestException.badInput("IDX header is truncated");
        }
        long count = Integer.toUnsignedLong(intAt(dims, 0));
        int rows = intAt(dims, 4);
        int cols = intAt(dims, 8);
        if (rows != TensorDecoders.SIDE || cols != TensorDecoders.SIDE) {
            throw RequestException.unsupportedMediaType("IDX images are " + rows + "×" + cols + "; the model takes 28×28");
        }
        byte[] pixels = new byte[TensorDecoders.PIXELS];
        for (long index = 0; index < count; index++) {
            int n = in.readNBytes(pixels, 0, pixels.length);
            if (n < pixels.length) {
                sink.error(index, "the object ends inside image " + index + " of the " + count
                        + " its header announces (truncated upload?)");
                return;
            }
            float[] image = new float[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                image[i] = (pixels[i] & 0xff) / 255f;
            }
            sink.image(index, image);
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /**
     * The header is read here; each image's bytes are then handed to {@link TensorDecoders} as a
     * one-image .npy of their own, so values are checked and scaled exactly as {@code /invocations}
     * does (per image: 0..255 when a value is over 1).
     */
    private static void readNpy(InputStream in, S3BatchScorer.Sink sink) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || magic[1] != 'N' || magic[2] != 'U' || magic[3] != 'M'
                || magic[4] != 'P' || magic[5] != 'Y') {
            throw RequestException.badInput("not a .npy file: it does not start with \\x93NUMPY");
        }
        int major = magic[6];
        byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
        if (major < 1 || major > 3 || lengthBytes.length < (major == 1 ? 2 : 4)) {
            throw RequestException.badInput(".npy format version " + major + " is not supported (1.0, 2.0, 3.0 are)");
        }
        long headerLength = 0;
        for (int i = lengthBytes.length - 1; i >= 0; i--) {
            headerLength = headerLength << 8 | (lengthBytes[i] & 0xff);
        }
        if (headerLength > MAX_LINE_BYTES) {
            throw RequestException.badInput(".npy header claims " + headerLength + " bytes");
        }
        String header = new String(in.readNBytes((int) headerLength), java.nio.charset.StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header);
        String shapeText = find(SHAPE, header);
        if (descr == null || shapeText == null || "True".equals(find(FORTRAN, header))) {
            throw RequestException.unsupportedMediaType(".npy header must give a C-order array with 'descr' and 'shape': " + header.trim());
        }
        int itemSize = switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            case "|u1", "<u1", ">u1", "u1" -> 1;
            default -> throw RequestException.unsupportedMediaType(".npy dtype '" + descr + "' is not supported; use float32 (<f4),"
                    + " float64 (<f8) or uint8 (|u1)");
        };
        long[] shape;
        try {
            shape = Arrays.stream(shapeText.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                    .mapToLong(t -> Long.parseLong(t.replace("L", ""))).toArray();
        } catch (NumberFormatException e) {
            throw RequestException.badInput(".npy shape (" + shapeText.trim() + ") is not a tuple of integers");
        }
        long count;
        if (shape.length == 1 && shape[0] == TensorDecoders.PIXELS
                || shape.length == 2 && shape[0] == TensorDecoders.SIDE && shape[1] == TensorDecoders.SIDE) {
            count = 1;
        } else if (shape.length >= 2 && Arrays.stream(shape).skip(1).reduce(1, (a, b) -> a * b) == TensorDecoders.PIXELS) {
            count = shape[0];
        } else {
            throw RequestException.unsupportedMediaType(".npy shape (" + shapeText.trim() + ") is not supported; use (N, 784),"
                    + " (N, 28, 28) or (N, 1, 28, 28)");
        }
        byte[] one = descrHeader(descr);
        int rowBytes = TensorDecoders.PIXELS * itemSize;
        for (long index = 0; index < count; index++) {
            byte[] body = Arrays.copyOf(one, one.length + rowBytes);
            int n = in.readNBytes(body, one.length, rowBytes);
            if (n < rowBytes) {
                sink.error(index, "the object ends inside image " + index + " of the " + count
                        + " its shape announces (truncated upload?)");
                return;
            }
            try {
                sink.image(index, TENSORS.decode(TensorDecoders.NPY, body).getFirst());
            } catch (RequestException e) {
                sink.error(index, "image " + index + ": " + e.getMessage().replaceFirst("^image 0\\b[,:]?\\s*", ""));
            }
        }
    }

    /** The header of a one-image .npy of {@code descr}, shape (784,). */
    private static byte[] descrHeader(String descr) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (784,), }";
        int total = 10 + dict.length() + 1;
        String padded = dict + " ".repeat((64 - total % 64) % 64) + "\n";
        byte[] text = padded.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] out = new byte[10 + text.length];
        out[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, out, 1, 5);
        out[6] = 1;
        out[8] = (byte) (text.length & 0xff);
        out[9] = (byte) (text.length >> 8);
        System.arraycopy(text, 0, out, 10, text.length);
        return out;
    }

    private static String find(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    private static int intAt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    /**
     * Lines of a byte stream, read through one fixed buffer: a line is copied out only when it is
     * used, and one longer than the limit is skipped rather than held.
     */
    static final class LineReader {
        private final InputStream in;
        private final int maxLine;
        private final byte[] buffer = new byte[1 << 16];
        private int pos;
        private int limit;
        private byte[] line = new byte[1 << 12];
        private int length;
        private boolean tooLong;
        private boolean eof;

        LineReader(InputStream in, int maxLine) {
            this.in = in;
            this.maxLine = maxLine;
        }

        /** Advances to the next line ({@code \n} or {@code \r\n}); false at the end of the stream. */
        boolean next() throws IOException {
            length = 0;
            tooLong = false;
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    if (eof || !fill()) {
                        break;
                    }
                }
                any = true;
                int start = pos;
                while (pos < limit && buffer[pos] != '\n') {
                    pos++;
                }
                append(start, pos - start);
                if (pos < limit) {
                    pos++; // the '\n'
                    break;
                }
            }
            if (!any) {
                return false;
            }
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            return true;
        }

        private boolean fill() throws IOException {
            int n = in.read(buffer, 0, buffer.length);
            while (n == 0) {
                n = in.read(buffer, 0, buffer.length);
            }
            if (n < 0) {
                eof = true;
                return false;
            }
            pos = 0;
            limit = n;
            return true;
        }

        private void append(int from, int n) {
            if (tooLong || n == 0) {
                return;
            }
            if (length + n > maxLine) {
                tooLong = true;
                length = 0;
                return;
            }
            if (length + n > line.length) {
                line = Arrays.copyOf(line, Math.min(maxLine, Math.max(line.length * 2, length + n)));
            }
            System.arraycopy(buffer, from, line, length, n);
            length += n;
        }

        boolean tooLong() {
            return tooLong;
        }

        boolean isBlank() {
            for (int i = 0; i < length; i++) {
                if (line[i] != ' ' && line[i] != '\t') {
                    return false;
                }
            }
            return true;
        }

        byte[] copy() {
            return Arrays.copyOf(line, length);
        }
    }
}
