package org.mnistpipeline.inference;

import org.mnistpipeline.data.Npy;
import org.mnistpipeline.io.JsonStreams;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.MnistException.Kind;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Decodes request bodies that already hold pixel values ("raw tensors", as SageMaker endpoints
 * take them) into images of {@value #PIXELS} floats each, in the MNIST convention (ink bright).
 *
 * <dl>
 *   <dt>{@value #JSON}</dt>
 *   <dd>{@code {"instances": [img, img, ...]}} where each {@code img} is 784 numbers, or 28 arrays
 *       of 28 numbers (or {@code [[28×28]]}, one channel). Other fields are ignored. A bare array
 *       is accepted too: a single image ({@code [784 numbers]} or {@code [[28 numbers] × 28]}) or a
 *       list of images ({@code [img, img, ...]}). Errors name the instance by its 0-based index.</dd>
 *   <dt>{@value #NPY}</dt>
 *   <dd>A NumPy {@code .npy} file (format 1.0, 2.0 or 3.0), C order, dtype {@code <f4},
 *       {@code <f8} or {@code |u1}, shape {@code (784,)}, {@code (28, 28)}, {@code (N, 784)},
 *       {@code (N, 28, 28)} or {@code (N, 1, 28, 28)}. {@code u1} values are divided by 255.</dd>
 *   <dt>{@value #CSV}</dt>
 *   <dd>One image per line, 784 comma-separated numbers; blank lines are skipped, a header line is
 *       refused. Errors name the 1-based line.</dd>
 * </dl>
 *
 * <p>Values: floats in [0, 1]. When any value of a request exceeds 1 and none exceeds 255 the
 * whole request is taken to be in 0..255 and divided by 255 (so the same body decodes the same
 * whatever its first image). Negative, non-finite or larger values are refused. A request may hold
 * at most {@link #maxImages()} images. Thread-safe.
 */
public final class TensorDecoders {
    public static final String JSON = "application/json";
    public static final String NPY = "application/x-npy";
    public static final String CSV = "text/csv";
    public static final int DEFAULT_MAX_IMAGES = 10_000;
    public static final int SIDE = 28;
    public static final int PIXELS = SIDE * SIDE;
    /**
     * Memory one decoded image costs until its request is answered: its 784 floats (3,136 bytes
     * and an array header), its prediction with ten probabilities and its share of the JSON answer.
     */
    public static final long IMAGE_BYTES = 4096;


    private final int maxImages;

    public TensorDecoders() {
        this(DEFAULT_MAX_IMAGES);
    }

    public TensorDecoders(int maxImages) {
        if (maxImages < 1) {
            throw new IllegalArgumentException("maxImages must be positive, got " + maxImages);
        }
        this.maxImages = maxImages;
    }

    public int maxImages() {
        return maxImages;
    }

    /** Whether {@link #decode} reads this content type (parameters such as charset ignored). */
    public static boolean supports(String contentType) {
        String type = mediaType(contentType);
        return type.equals(JSON) || type.equals(NPY) || type.equals(CSV);
    }

    /** Decodes {@code body} by its content type; see the class comment for the formats. */
    public List<float[]> decode(String contentType, byte[] body) {
        return switch (mediaType(contentType)) {
            case JSON -> json(body);
            case NPY -> npy(body);
            case CSV -> csv(body);
            default -> throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "content type '" + contentType
                    + "' is not supported for tensors; use " + JSON + ", " + NPY + " or " + CSV);
        };
    }

    /**
     * The most memory decoding {@code body} as {@code contentType} (and answering its images) can
     * take, known before decoding: from a {@code .npy} header's shape, and for JSON and CSV from the
     * body's length (every value takes at least two characters: a digit and a separator). Refuses
     * (413) a {@code .npy} whose shape holds more than {@link #maxImages()} images.
     */
    public long decodeBytes(String contentType, byte[] body) {
        return switch (mediaType(contentType)) {
            case NPY -> {
                long count = imagesInShape(Npy.readHeader(body).shape());
                checkCount(count);
                yield count * IMAGE_BYTES;
            }
            case JSON -> mostImages(body) * IMAGE_BYTES;
            // The text is decoded into a string (up to two bytes a character) before lines are split.
            case CSV -> mostImages(body) * IMAGE_BYTES + 3L * body.length;
            default -> 0;
        };
    }

    /** Images a text body of this length can hold at most. */
    private long mostImages(byte[] body) {
        return Math.min(maxImages, body.length / (2L * PIXELS - 1) + 1);
    }

    // ---------------------------------------------------------------- JSON

    /** {@code {"instances": [...]}}, a bare image or a bare list of images. */
    public List<float[]> json(byte[] body) {
        try (JsonParser p = JsonStreams.FACTORY.createParser(body)) {
            JsonToken first = p.nextToken();
            List<float[]> images;
            if (first == JsonToken.START_OBJECT) {
                images = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if (field.equals("instances")) {
                        if (value != JsonToken.START_ARRAY) {
                            throw bad("\"instances\" must be an array of images, found " + describe(value));
                        }
                        images = readInstances(p);
                    } else {
                        p.skipChildren();
                    }
                }
                if (images == null) {
                    throw bad("JSON object has no \"instances\" field; send {\"instances\": [[784 numbers], ...]}");
                }
            } else if (first == JsonToken.START_ARRAY) {
                images = readBare(p);
            } else {
                throw bad("expected {\"instances\": [...]} or an array of numbers, found "
                        + (first == null ? "an empty body" : describe(first)));
            }
            if (p.nextToken() != null) {
                throw bad("unexpected content after the JSON value");
            }
            if (images.isEmpty()) {
                throw bad("no images in the request");
            }
            return scale(images, i -> "instance " + i, false);
        } catch (JsonProcessingException e) {
            throw bad("malformed JSON: " + JsonStreams.describe(e));
        } catch (IOException e) {
            // Not a parse error: the bytes are no text in the encoding they seem to be (e.g. broken UTF-32).
            throw bad("malformed JSON: the body is not valid text; send UTF-8");
        }
    }

    /** After the '[' of "instances": each element is one image. */
    private List<float[]> readInstances(JsonParser p) throws IOException {
        List<float[]> images = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            int index = images.size();
            checkCount(index + 1);
            if (t != JsonToken.START_ARRAY) {
                throw bad("instance " + index + ": expected an array of " + PIXELS + " numbers or 28×28 nested arrays, found "
                        + describe(t));
            }
            Nested nested = readNested(p, "instance " + index);
            images.add(asImage(nested, "instance " + index));
        }
        return images;
    }

    /**
     * After a root '[': a single image when it starts with a number (784 of them) or is exactly 28
     * rows of 28; otherwise a list of images.
     */
    private List<float[]> readBare(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.END_ARRAY) {
            return List.of();
        }
        if (t != null && t.isNumeric()) {
            Nested flat = readNumbersFrom(p, "the image");
            return List.of(asImage(flat, "the image"));
        }
        List<Nested> elements = new ArrayList<>();
        for (; t != JsonToken.END_ARRAY; t = p.nextToken()) {
            int index = elements.size();
            // 28 rows of a single 28×28 image are allowed through before the count check.
            if (index + 1 > Math.max(maxImages, SIDE)) {
                checkCount(index + 1);
            }
            if (t != JsonToken.START_ARRAY) {
                throw bad("instance " + index + ": expected an array, found " + describe(t));
            }
            elements.add(readNested(p, "instance " + index));
        }
        boolean singleImage = elements.size() == SIDE
                && elements.stream().allMatch(e -> e.dims().length == 1 && e.dims()[0] == SIDE);
        if (singleImage) {
            float[] image = new float[PIXELS];
            for (int r = 0; r < SIDE; r++) {
                System.arraycopy(elements.get(r).values(), 0, image, r * SIDE, SIDE);
            }
            return List.of(image);
        }
        checkCount(elements.size());
        List<float[]> images = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            images.add(asImage(elements.get(i), "instance " + i));
        }
        return images;
    }

    /** A rectangular nested array of numbers, flattened. */
    private record Nested(int[] dims, float[] values) {}

    /** Reads a nested array whose '[' is the current token, up to 4 levels and 784 numbers. */
    private Nested readNested(JsonParser p, String where) throws IOException {
        FloatList values = new FloatList();
        int[] dims = readLevel(p, values, 1, where);
        return new Nested(dims, values.toArray());
    }

    private int[] readLevel(JsonParser p, FloatList values, int depth, String where) throws IOException {
        if (depth > 4) {
            throw bad(where + ": arrays nested deeper than [1][28][28]");
        }
        int count = 0;
        int[] childDims = null;
        boolean numbers = false;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != null && t.isNumeric()) {
                if (childDims != null) {
                    throw bad(where + ": mixes numbers and arrays at one level");
                }
                numbers = true;
                values.add(p.getFloatValue(), where);
            } else if (t == JsonToken.START_ARRAY) {
                if (numbers) {
                    throw bad(where + ": mixes numbers and arrays at one level");
                }
                int[] d = readLevel(p, values, depth + 1, where);
                if (childDims == null) {
                    childDims = d;
                } else if (!Arrays.equals(childDims, d)) {
                    throw bad(where + ": rows differ in shape (" + shape(childDims) + " and " + shape(d) + ")");
                }
            } else {
                throw bad(where + ": expected numbers, found " + describe(t));
            }
            count++;
        }
        if (childDims == null) {
            return new int[] {count};
        }
        int[] dims = new int[childDims.length + 1];
        dims[0] = count;
        System.arraycopy(childDims, 0, dims, 1, childDims.length);
        return dims;
    }

    /** The rest of a flat array of numbers whose first number is the current token. */
    private Nested readNumbersFrom(JsonParser p, String where) throws IOException {
        FloatList values = new FloatList();
        values.add(p.getFloatValue(), where);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null || !t.isNumeric()) {
                throw bad(where + ": expected numbers, found " + describe(t));
            }
            values.add(p.getFloatValue(), where);
        }
        return new Nested(new int[] {values.size()}, values.toArray());
    }

    private static float[] asImage(Nested nested, String where) {
        int[] d = nested.dims();
        boolean ok = (d.length == 1 && d[0] == PIXELS)
                || (d.length == 2 && d[0] == SIDE && d[1] == SIDE)
                || (d.length == 3 && d[0] == 1 && d[1] == SIDE && d[2] == SIDE);
        if (!ok) {
            throw bad(where + ": expected " + PIXELS + " numbers or 28×28 nested arrays, got "
                    + (d.length == 1 ? d[0] + " numbers" : "shape " + shape(d)));
        }
        return nested.values();
    }

    /** Growable float array that refuses to grow past one image. */
    private static final class FloatList {
        private float[] data = new float[PIXELS];
        private int size;

        void add(float v, String where) {
            if (size == PIXELS) {
                throw bad(where + ": more than " + PIXELS + " values (one 28×28 image)");
            }
            data[size++] = v;
        }

        int size() {
            return size;
        }

        float[] toArray() {
            return size == data.length ? data : Arrays.copyOf(data, size);
        }
    }

    // ---------------------------------------------------------------- NPY

    /** A NumPy {@code .npy} file; see the class comment for dtypes and shapes. */
    public List<float[]> npy(byte[] body) {
        Npy.Header header = Npy.readHeader(body);
        long count = imagesInShape(header.shape());
        if (count == 0) {
            throw bad("no images in the request (.npy shape " + shape(header.shape()) + ")");
        }
        checkCount(count);
        int n = (int) count;
        long expected = (long) n * PIXELS * header.itemSize();
        long actual = body.length - header.headerBytes();
        if (actual < expected) {
            throw bad(".npy data is truncated: shape " + shape(header.shape()) + " needs " + expected + " bytes, got "
                    + actual);
        }
        if (actual > expected) {
            throw bad(".npy file has " + (actual - expected) + " bytes after the array data");
        }
        List<float[]> images = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            images.add(npyValues(header, body, header.headerBytes() + (long) i * PIXELS * header.itemSize()));
        }
        return scale(images, i -> "image " + i, header.itemSize() == 1);
    }

    /**
     * One image of a {@code .npy} stream read elsewhere (S3 batch scoring): its {@value #PIXELS}
     * values at {@code data}, checked and scaled as a one-image request.
     */
    public float[] npyImage(Npy.Header header, byte[] data, String name) {
        return scale(List.of(npyValues(header, data, 0)), i -> name, header.itemSize() == 1).getFirst();
    }

    private static float[] npyValues(Npy.Header header, byte[] data, long offset) {
        float[] image = new float[PIXELS];
        for (int j = 0; j < PIXELS; j++) {
            image[j] = header.value(data, (int) offset + j * header.itemSize());
        }
        return image;
    }

    /** How many images an array of {@code shape} holds: (784,) or (28, 28) is one; (N, 784), (N, 28, 28), (N, 1, 28, 28). */
    public static long imagesInShape(long[] s) {
        if (s.length == 1 && s[0] == PIXELS) {
            return 1;
        }
        if (s.length == 2 && s[0] == SIDE && s[1] == SIDE) {
            return 1;
        }
        if (s.length == 2 && s[1] == PIXELS && s[0] >= 0) {
            return s[0];
        }
        if (s.length == 3 && s[1] == SIDE && s[2] == SIDE && s[0] >= 0) {
            return s[0];
        }
        if (s.length == 4 && s[1] == 1 && s[2] == SIDE && s[3] == SIDE && s[0] >= 0) {
            return s[0];
        }
        throw bad(".npy shape " + shape(s) + " is not supported; use (784,), (28, 28), (N, 784), (N, 28, 28)"
                + " or (N, 1, 28, 28)");
    }

    // ---------------------------------------------------------------- CSV

    /** One image per line, 784 comma-separated numbers; no header. */
    public List<float[]> csv(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw bad("CSV body is not UTF-8 text");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<float[]> images = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        int lineNumber = 0;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            lineNumber++;
            String line = text.substring(start, end);
            start = end + 1;
            if (line.isBlank()) {
                continue;
            }
            checkCount(images.size() + 1);
            images.add(parseCsvLine(line, lineNumber, images.isEmpty()));
            lineNumbers.add(lineNumber);
        }
        if (images.isEmpty()) {
            throw bad("no images in the request (the CSV body is empty)");
        }
        return scale(images, i -> "line " + lineNumbers.get(i), false);
    }

    private static float[] parseCsvLine(String line, int lineNumber, boolean firstLine) {
        float[] image = new float[PIXELS];
        int n = 0;
        int from = 0;
        int length = line.length();
        while (from <= length) {
            int comma = line.indexOf(',', from);
            int to = comma < 0 ? length : comma;
            String token = line.substring(from, to).trim();
            from = to + 1;
            if (comma < 0 && token.isEmpty() && n > 0) {
                break; // "1,2,3\r" or a trailing newline artefact
            }
            float value;
            try {
                value = Float.parseFloat(token);
            } catch (NumberFormatException e) {
                if (firstLine) {
                    throw bad("line " + lineNumber + ", value " + (n + 1) + ": " + RequestException.quote(token, 20)
                            + " is not a number; if this is a header line, leave it out: send numbers only,"
                            + " one image of " + PIXELS + " values per line");
                }
                throw bad("line " + lineNumber + ", value " + (n + 1) + ": " + RequestException.quote(token, 20)
                        + " is not a number");
            }
            if (n < PIXELS) {
                image[n] = value;
            }
            n++;
            if (comma < 0) {
                break;
            }
        }
        if (n != PIXELS) {
            throw bad("line " + lineNumber + ": expected " + PIXELS + " values, got " + n);
        }
        return image;
    }

    // ---------------------------------------------------------------- shared

    /**
     * Checks every value and divides by 255 when the request is in 0..255 (see the class comment).
     * {@code alreadyUnit}: values come from uint8 and were scaled already.
     */
    private static List<float[]> scale(List<float[]> images, IntFunction<String> name, boolean alreadyUnit) {
        float max = 0;
        for (int i = 0; i < images.size(); i++) {
            float[] image = images.get(i);
            for (int j = 0; j < image.length; j++) {
                float v = image[j];
                if (!(v >= 0 && v <= 255)) { // also catches NaN
                    throw bad(name.apply(i) + ", value " + j + ": " + v + " is outside [0, 1] (or 0..255 for a"
                            + " request in byte values)");
                }
                max = Math.max(max, v);
            }
        }
        if (!alreadyUnit && max > 1) {
            for (float[] image : images) {
                for (int j = 0; j < image.length; j++) {
                    image[j] /= 255f;
                }
            }
        }
        return images;
    }

    private void checkCount(long count) {
        if (count > maxImages) {
            throw new RequestException(Kind.TOO_LARGE, "more than " + maxImages
                    + " images in one request; split it into smaller requests");
        }
    }

    /** The media type of a {@code Content-Type} without parameters, lower case; empty when absent. */
    public static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "the end of the body";
        }
        return switch (t) {
            case VALUE_STRING -> "a string";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            default -> t.toString();
        };
    }

    private static String shape(int[] dims) {
        return "(" + String.join(", ", Arrays.stream(dims).mapToObj(String::valueOf).toList()) + ")";
    }

    private static String shape(long[] dims) {
        return "(" + String.join(", ", Arrays.stream(dims).mapToObj(String::valueOf).toList())
                + (dims.length == 1 ? ",)" : ")");
    }


    private static RequestException bad(String message) {
        return new RequestException(Kind.BAD_INPUT, message);
    }
}
