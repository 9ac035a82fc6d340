package org.mnistpipeline.inference;

import org.mnistpipeline.RequestException;
import org.mnistpipeline.MnistException.Kind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class TensorDecodersTest {
    private final TensorDecoders decoders = new TensorDecoders();

    // ------------------------------------------------------------ JSON

    @Test
    void jsonInstancesOfFlatArraysDecodeToTheImages() {
        List<float[]> images = decoders.json(bytes("{\"instances\": [" + flat(0) + "," + flat(1) + "]}"));
        assertThat(images).hasSize(2);
        assertSameImage(images.get(0), 0);
        assertSameImage(images.get(1), 1);
    }

    @Test
    void jsonInstancesOf28By28NestedArraysDecodeToTheImages() {
        List<float[]> images = decoders.json(bytes("{\"instances\": [" + nested(2) + ", [" + nested(3) + "]]}"));
        assertThat(images).hasSize(2);
        assertSameImage(images.get(0), 2);
        assertSameImage(images.get(1), 3);
    }

    @Test
    void jsonFieldsOtherThanInstancesAreIgnored() {
        List<float[]> images = decoders.json(bytes("{\"signature_name\": \"x\", \"meta\": {\"a\": [1, 2]},"
                + " \"instances\": [" + flat(0) + "]}"));
        assertThat(images).hasSize(1);
    }

    @Test
    void bareJsonArrayIsASingleImageOrAListOfImages() {
        assertSameImage(single(decoders.json(bytes(flat(4)))), 4);
        assertSameImage(single(decoders.json(bytes(nested(5)))), 5);
        List<float[]> list = decoders.json(bytes("[" + flat(6) + "," + nested(7) + "]"));
        assertThat(list).hasSize(2);
        assertSameImage(list.get(0), 6);
        assertSameImage(list.get(1), 7);
    }

    @Test
    void jsonInByteValuesIsScaledToUnitRange() {
        String bytes255 = IntStream.range(0, 784).mapToObj(i -> String.valueOf(MnistTestImages.test().pixels()[i] & 0xff))
                .collect(Collectors.joining(",", "[", "]"));
        assertSameImage(single(decoders.json(bytes("{\"instances\": [" + bytes255 + "]}"))), 0);
    }

    @Test
    void jsonInstanceOfWrongLengthIsNamed() {
        String short783 = IntStream.range(0, 783).mapToObj(i -> "0").collect(Collectors.joining(",", "[", "]"));
        assertBadInput(() -> decoders.json(bytes("{\"instances\": [" + flat(0) + "," + short783 + "]}")))
                .hasMessageContaining("instance 1").hasMessageContaining("784").hasMessageContaining("783");
        String long785 = IntStream.range(0, 785).mapToObj(i -> "0").collect(Collectors.joining(",", "[", "]"));
        assertBadInput(() -> decoders.json(bytes("{\"instances\": [" + long785 + "]}")))
                .hasMessageContaining("instance 0").hasMessageContaining("more than 784");
    }

    @Test
    void malformedJsonIsRefusedWithTheProblem() {
        assertBadInput(() -> decoders.json(bytes("{\"instances\": [[0, 1,"))).hasMessageContaining("malformed JSON");
        assertBadInput(() -> decoders.json(bytes("{\"inputs\": []}"))).hasMessageContaining("no \"instances\"");
        assertBadInput(() -> decoders.json(bytes("{\"instances\": 3}"))).hasMessageContaining("must be an array");
        assertBadInput(() -> decoders.json(bytes("{\"instances\": []}"))).hasMessageContaining("no images");
        assertBadInput(() -> decoders.json(bytes("\"hello\""))).hasMessageContaining("found a string");
        assertBadInput(() -> decoders.json(bytes(""))).hasMessageContaining("empty body");
        assertBadInput(() -> decoders.json(bytes("{\"instances\": [[0, \"x\"]]}")))
                .hasMessageContaining("instance 0").hasMessageContaining("found a string");
        assertBadInput(() -> decoders.json(bytes("{\"instances\": [[[0, 1], [2]]]}")))
                .hasMessageContaining("rows differ");
        assertBadInput(() -> decoders.json(bytes("{\"instances\": [[0, [1]]]}")))
                .hasMessageContaining("mixes numbers and arrays");
        assertBadInput(() -> decoders.json(bytes(flat(0) + " []"))).hasMessageContaining("after the JSON value");
    }

    @Test
    void jsonPastTheParserLimitsIsBadInputWithAClearMessageNotAnInternalError() {
        // Issue 15, defect 3: these reached a NullPointerException (Jackson's limit errors have no location).
        String number = "1".repeat(1001);
        String deep = "[".repeat(1001) + "]".repeat(1001);
        String image = flat(0);
        for (String body : List.of("{\"instances\": [[" + number + "]]}",
                "{\"ignored\": " + number + ", \"instances\": [" + image + "]}",
                "[0." + "5".repeat(5000) + "]")) {
            assertBadInput(() -> decoders.json(bytes(body)))
                    .hasMessage("malformed JSON: a number is longer than 1000 characters; write pixel values as"
                            + " plain numbers such as 0.5 or 255");
        }
        for (String body : List.of("{\"ignored\": " + deep + ", \"instances\": [" + image + "]}",
                "{\"ignored\": " + "{\"a\":".repeat(1001) + "1" + "}".repeat(1001) + ", \"instances\": [" + image
                        + "]}")) {
            assertBadInput(() -> decoders.json(bytes(body)))
                    .hasMessageStartingWith("malformed JSON: arrays or objects are nested more than 1000 levels deep");
        }
        // Just inside the limits: read (and, being no image, refused for what it is).
        assertThat(decoders.json(bytes("{\"ignored\": " + "1".repeat(1000) + ", \"instances\": [" + image + "]}")))
                .hasSize(1);
        assertBadInput(() -> decoders.json(bytes(deep))).hasMessageContaining("nested deeper than [1][28][28]");
    }

    @Test
    void jsonErrorsNameNeitherJavaClassesNorJacksonFeatures() {
        for (String body : List.of("{\"instances\": [[0, 1,", "[NaN]", "{\"a\": \"x\ny\"}", "{\"a\":1 \"b\"}",
                "[--1]", "[01]", "[[0, 1", "[0, // a comment\n 1]", "{\"a\": [1 }", "['x']")) {
            assertBadInput(() -> decoders.json(bytes(body)))
                    .hasMessageStartingWith("malformed JSON: ")
                    .satisfies(e -> assertThat(e.getMessage())
                            .doesNotContainPattern("Exception|Feature|`|jackson|REDACTED|Source|start marker"));
        }
        assertBadInput(() -> decoders.json(bytes("{\"instances\": [[0, 1,")))
                .hasMessage("malformed JSON: the document ends early (an array, object or string is not closed) at"
                        + " line 1, column 22");
        assertBadInput(() -> decoders.json(bytes("[NaN]")))
                .hasMessage("malformed JSON: Non-standard token 'NaN' at line 1, column 5");
    }

    @Test
    void inputTheFuzzerFoundIsRefusedWithoutEchoingItRaw() {
        // Bytes that look like UTF-32 but are not: Jackson throws a plain IOException, which was a 500.
        assertBadInput(() -> decoders.json(new byte[] {0, 0, 0, '[', 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}))
                .hasMessageContaining("not valid text");
        // A .npy header's text is the sender's: shown short and quoted, never raw.
        byte[] shape = org.mnistpipeline.inference.hostile.HostileInputs.npyFile("<f4", "(78`Exception" + "x".repeat(500)
                + ",)", 0);
        assertBadInput(() -> decoders.npy(shape)).hasMessageStartingWith(".npy shape ('78`Exception")
                .hasMessageContaining("…') is not a tuple of whole numbers");
    }

    @Test
    void jsonValuesOutsideTheRangeAreRefused() {
        String negative = flat(0).replaceFirst("\\[0", "[-1");
        assertBadInput(() -> decoders.json(bytes(negative))).hasMessageContaining("value 0").hasMessageContaining("-1.0");
        String huge = flat(0).replaceFirst("\\[0", "[256");
        assertBadInput(() -> decoders.json(bytes(huge))).hasMessageContaining("256.0");
    }

    @Test
    void tooManyImagesAreRefusedAsTooLarge() {
        TensorDecoders three = new TensorDecoders(3);
        String four = "{\"instances\": [" + String.join(",", flat(0), flat(1), flat(2), flat(3)) + "]}";
        assertThatThrownBy(() -> three.json(bytes(four))).isInstanceOf(RequestException.class)
                .hasMessageContaining("more than 3 images")
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
        assertThat(three.json(bytes("[" + String.join(",", flat(0), flat(1), flat(2)) + "]"))).hasSize(3);
        assertThatThrownBy(() -> three.json(bytes("[" + String.join(",", flat(0), flat(1), flat(2), flat(3)) + "]")))
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
    }

    // ------------------------------------------------------------ NPY (files written by NumPy 2.x)

    @Test
    void npyUint8StackDecodesScaledBy255() {
        List<float[]> images = decoders.npy(resource("first3-u1-N28x28.npy"));
        assertThat(images).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertSameImage(images.get(i), i);
        }
    }

    @Test
    void npyFloatArraysOfEveryAcceptedShapeDecode() {
        List<float[]> flat = decoders.npy(resource("first3-f4-Nx784.npy"));
        assertThat(flat).hasSize(3);
        assertSameImage(flat.get(2), 2);
        assertSameImage(single(decoders.npy(resource("first1-f8-28x28.npy"))), 0);
        List<float[]> channels = decoders.npy(resource("first2-f4-Nx1x28x28.npy"));
        assertThat(channels).hasSize(2);
        assertSameImage(channels.get(1), 1);
        assertSameImage(single(decoders.npy(npy("<f4", "(784,)", 1, MnistTestImages.image(8)))), 8);
    }

    @Test
    void npyVersion2HeaderIsRead() {
        assertSameImage(single(decoders.npy(npy("<f4", "(1, 784)", 2, MnistTestImages.image(9)))), 9);
    }

    @Test
    void npyInFortranOrderOrAnotherDtypeIsRefusedWithAMessage() {
        assertBadInput(() -> decoders.npy(resource("first1-f4-fortran.npy"))).hasMessageContaining("Fortran order");
        assertBadInput(() -> decoders.npy(resource("first1-i4.npy"))).hasMessageContaining("'<i4' is not supported");
        assertBadInput(() -> decoders.npy(npy(">f4", "(784,)", 1, MnistTestImages.image(0))))
                .hasMessageContaining("big-endian");
    }

    @Test
    void npyOfAnotherShapeOrLengthIsRefused() {
        assertBadInput(() -> decoders.npy(npy("<f4", "(10, 10)", 1, new float[100])))
                .hasMessageContaining("shape (10, 10) is not supported");
        byte[] whole = npy("<f4", "(2, 784)", 1, new float[2 * 784]);
        assertBadInput(() -> decoders.npy(java.util.Arrays.copyOf(whole, whole.length - 4)))
                .hasMessageContaining("truncated");
        assertBadInput(() -> decoders.npy(java.util.Arrays.copyOf(whole, whole.length + 4)))
                .hasMessageContaining("after the array data");
        assertBadInput(() -> decoders.npy(bytes("not numpy at all"))).hasMessageContaining("not a NumPy .npy file");
        assertBadInput(() -> decoders.npy(npy("<f4", "(0, 784)", 1, new float[0]))).hasMessageContaining("no images");
    }

    @Test
    void npyWithAnAbsurdImageCountIsRefusedBeforeReadingData() {
        // Claims a billion images in a few bytes: must not allocate, must name the limit.
        assertThatThrownBy(() -> decoders.npy(npy("<f4", "(1000000000, 784)", 1, new float[0])))
                .isInstanceOf(RequestException.class)
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
    }

    // ------------------------------------------------------------ CSV

    @Test
    void csvLinesAreImages() {
        String body = csvLine(0) + "\r\n" + csvLine(1) + "\r\n\r\n";
        List<float[]> images = decoders.csv(bytes(body));
        assertThat(images).hasSize(2);
        assertSameImage(images.get(0), 0);
        assertSameImage(images.get(1), 1);
    }

    @Test
    void csvHeaderLineIsRefusedWithAMessage() {
        String header = IntStream.range(0, 784).mapToObj(i -> "pixel" + i).collect(Collectors.joining(","));
        assertBadInput(() -> decoders.csv(bytes(header + "\n" + csvLine(0))))
                .hasMessageContaining("line 1").hasMessageContaining("header");
    }

    @Test
    void csvLineOfWrongLengthOrWithTextIsNamed() {
        String short783 = csvLine(1).substring(0, csvLine(1).lastIndexOf(','));
        assertBadInput(() -> decoders.csv(bytes(csvLine(0) + "\n" + short783)))
                .hasMessageContaining("line 2: expected 784 values, got 783");
        String withText = csvLine(1).replaceFirst("^([^,]*,[^,]*,)[^,]*", "$1abc");
        assertBadInput(() -> decoders.csv(bytes(csvLine(0) + "\n\n" + withText)))
                .hasMessageContaining("line 3, value 3: 'abc' is not a number");
        assertBadInput(() -> decoders.csv(bytes("\n\n"))).hasMessageContaining("no images");
    }

    // ------------------------------------------------------------ dispatch

    @Test
    void contentTypeSelectsTheDecoderIgnoringParameters() {
        assertSameImage(single(decoders.decode("Application/JSON; charset=utf-8", bytes(flat(3)))), 3);
        assertSameImage(single(decoders.decode("text/csv", bytes(csvLine(3)))), 3);
        assertSameImage(decoders.decode("application/x-npy", resource("first3-u1-N28x28.npy")).get(2), 2);
        assertThat(TensorDecoders.supports("text/csv; header=absent")).isTrue();
        assertThat(TensorDecoders.supports("image/png")).isFalse();
    }

    @Test
    void unknownContentTypeIsUnsupportedMediaType() {
        assertThatThrownBy(() -> decoders.decode("application/x-protobuf", new byte[1]))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("application/json")
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.UNSUPPORTED_MEDIA_TYPE);
    }

    // ------------------------------------------------------------ helpers

    private static AbstractThrowableAssert<?, ? extends Throwable> assertBadInput(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        AbstractThrowableAssert<?, ? extends Throwable> a = assertThatThrownBy(call).isInstanceOf(RequestException.class);
        a.extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.BAD_INPUT);
        return a;
    }

    private static float[] single(List<float[]> images) {
        assertThat(images).hasSize(1);
        return images.getFirst();
    }

    private static void assertSameImage(float[] actual, int mnistIndex) {
        float[] expected = MnistTestImages.image(mnistIndex);
        assertThat(actual).hasSize(784);
        for (int i = 0; i < 784; i++) {
            assertThat(actual[i]).as("pixel %d", i).isCloseTo(expected[i], within(1e-6f));
        }
    }

    private static String flat(int index) {
        float[] image = MnistTestImages.image(index);
        return IntStream.range(0, 784).mapToObj(i -> Float.toString(image[i])).collect(Collectors.joining(",", "[", "]"));
    }

    private static String nested(int index) {
        float[] image = MnistTestImages.image(index);
        return IntStream.range(0, 28).mapToObj(r -> IntStream.range(0, 28).mapToObj(c -> Float.toString(image[r * 28 + c]))
                .collect(Collectors.joining(",", "[", "]"))).collect(Collectors.joining(",", "[", "]"));
    }

    private static String csvLine(int index) {
        float[] image = MnistTestImages.image(index);
        return IntStream.range(0, 784).mapToObj(i -> Float.toString(image[i])).collect(Collectors.joining(","));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] resource(String name) {
        try (InputStream in = TensorDecodersTest.class.getResourceAsStream("/npy/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A .npy file written the way NumPy writes one (header padded to 64 bytes, newline-terminated). */
    static byte[] npy(String descr, String shape, int version, float[] values) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int prefix = version == 1 ? 10 : 12;
        int padded = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(padded - prefix - dict.length() - 1) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(padded + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) {
            buf.putShort((short) header.length());
        } else {
            buf.putInt(header.length());
        }
        buf.put(header.getBytes(StandardCharsets.ISO_8859_1));
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        buf.order(order);
        for (float v : values) {
            buf.putFloat(v);
        }
        return buf.array();
    }
}
