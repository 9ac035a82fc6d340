package org.mnistpipeline.lambda;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.Npy;
import org.mnistpipeline.inference.TensorDecoders;

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
            throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "s3 object " + key + " is an IDX label file (idx1); batch scoring reads images:"
                    + " upload the matching -idx3-ubyte file");
        }
        String type = TensorDecoders.mediaType(contentType);
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
                throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "s3 object " + key + " (Content-Type " + (type.isEmpty() ? "none" : type)
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
        int[] dims;
        try {
            dims = Idx.readHeader(in, "the object");
        } catch (DataException e) {
            throw RequestException.badInput(e.getMessage()); // the object, not our data, is broken
        }
        if (dims.length != 3 || dims[1] != TensorDecoders.SIDE || dims[2] != TensorDecoders.SIDE) {
            throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "IDX shape " + Arrays.toString(dims) + " is not"
                    + " images of 28×28; batch scoring reads (N, 28, 28)"
                    + (dims.length == 1 ? " (this looks like a label file)" : ""));
        }
        readRecords(in, sink, dims[0], TensorDecoders.PIXELS, "header", (pixels, index) -> {
            float[] image = new float[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                image[i] = (pixels[i] & 0xff) / 255f;
            }
            return image;
        });
    }

    /** The header is {@link Npy}'s; each image is checked and scaled as {@code /invocations} does (per image). */
    private static void readNpy(InputStream in, S3BatchScorer.Sink sink) throws IOException {
        Npy.Header header = Npy.readHeader(in);
        readRecords(in, sink, TensorDecoders.imagesInShape(header.shape()), TensorDecoders.PIXELS * header.itemSize(),
                "shape", (data, index) -> TENSORS.npyImage(header, data, "image " + index));
    }

    /** Decodes one fixed-size record of a binary format into an image. */
    private interface RecordDecoder {
        float[] decode(byte[] record, long index);
    }

    /**
     * Reads {@code count} records of {@code size} bytes, one buffer reused; a bad record is an error
     * line, a truncated one ends the object (its {@code announcedBy} promised more).
     */
    private static void readRecords(InputStream in, S3BatchScorer.Sink sink, long count, int size, String announcedBy,
            RecordDecoder decoder) throws IOException {
        byte[] record = new byte[size];
        for (long index = 0; index < count; index++) {
            if (in.readNBytes(record, 0, size) < size) {
                sink.error(index, "the object ends inside image " + index + " of the " + count + " its " + announcedBy
                        + " announces (truncated upload?)");
                return;
            }
            try {
                sink.image(index, decoder.decode(record, index));
            } catch (RequestException e) {
                sink.error(index, e.getMessage());
            }
        }
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
