package org.mnistpipeline.inference.hostile;

import static org.mnistpipeline.inference.hostile.HostileImages.GREY;
import static org.mnistpipeline.inference.hostile.HostileImages.PALETTE;
import static org.mnistpipeline.inference.hostile.HostileImages.RGBA;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;

/**
 * A corpus of hostile request bodies for {@code POST /invocations}, generated (nothing checked
 * in): bombs within the published limits, bogus headers in every image format read, {@code .npy},
 * CSV and JSON past every parser limit, maximum-size bodies, plus a few real digits. Each case says
 * which statuses a server with the default limits and a memory budget of at least
 * {@link #BUDGET_BYTES} may answer: never a 5xx, except a 503 with {@code Retry-After} when the
 * case {@link Case#mayBeShed may be shed} under concurrency.
 *
 * <p>Shared by the server's and the Lambda function's replay tests and the soak benchmark.
 */
public final class HostileInputs {
    /** The budget the expectations assume: a server started with {@code -Xmx512m} (as {@code mnist serve}) or more. */
    public static final long BUDGET_BYTES = 200_000_000L;
    /** The body limit of the server and the function. */
    public static final int MAX_BODY = 6 * 1024 * 1024;
    /** What no error message may show: Java or Jackson class names, feature flags. */
    public static final Pattern INTERNALS = Pattern.compile(
            "Exception|java\\.|javax\\.|jackson|fasterxml|Feature|StreamRead|`|\\bat \\[Source");

    /**
     * One request.
     *
     * @param allowed  statuses a correct server may answer
     * @param maxSize  a maximum-size request: under concurrency a 503 with {@code Retry-After} is allowed too
     * @param label    the digit a 200 must predict, or -1 when any prediction will do
     */
    public record Case(String name, String contentType, byte[] body, Set<Integer> allowed, boolean maxSize,
            int label) {
        public boolean mayBeShed() {
            return maxSize;
        }

        @Override
        public String toString() {
            return name + " (" + contentType + ", " + body.length + " bytes, expect " + allowed + ")";
        }
    }

    private final byte[] digitPixels;
    private final int digitLabel;

    private HostileInputs(byte[] digitPixels, int digitLabel) {
        this.digitPixels = digitPixels;
        this.digitLabel = digitLabel;
    }

    /** A corpus drawn around MNIST test image {@code index} (fetched beforehand by `./mnist data fetch`). */
    public static HostileInputs aroundMnistTestImage(int index) {
        LabeledImages test = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir());
        return new HostileInputs(Arrays.copyOfRange(test.pixels(), index * 784, index * 784 + 784), test.label(index));
    }

    public int digitLabel() {
        return digitLabel;
    }

    /** The digit as a 28×28 greyscale PNG, white on black as MNIST stores it: the control request. */
    public byte[] digitPng() {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28, digitPixels);
        return HostileImages.encode(image, "png");
    }

    /** Every case; builds them all (about 40 MB of bodies, a few seconds). */
    public List<Case> all() {
        List<Case> cases = new ArrayList<>();
        cases.addAll(images());
        cases.addAll(json());
        cases.addAll(csv());
        cases.addAll(npy());
        cases.addAll(misc());
        return cases;
    }

    /** Only the maximum-size cases, for concurrent replay. */
    public List<Case> maxSize() {
        return all().stream().filter(Case::maxSize).toList();
    }

    // ------------------------------------------------------------------ images

    public List<Case> images() {
        List<Case> c = new ArrayList<>();
        HostileImages.Picture small = HostileImages.digit(digitPixels, 200, 200);
        // The three: a 16-bit RGBA PNG within 40 MP (318 MB decoded), a 40 MP 8-bit one (two at once
        // ran a 512 MB server out of memory), the 281-byte BMP whose header claims 2 GB of embedded PNG.
        c.add(image("png 6300x6300 16-bit RGBA (318 MB decoded, 40 MP limit kept)", "image/png",
                HostileImages.png(6300, 6300, 16, RGBA, HostileImages.BLANK), Set.of(413), false));
        c.add(image("png 6324x6324 8-bit RGBA digit (40 MP)", "image/png",
                HostileImages.png(6324, 6324, 8, RGBA, HostileImages.digit(digitPixels, 6324, 6324)),
                Set.of(200), true));
        byte[] smallPng = HostileImages.png(200, 200, 8, GREY, small);
        c.add(image("bmp 281 bytes, BI_PNG, imageSize 0x7ffffff0", "image/bmp",
                HostileImages.bmpEmbedding(5, 0x7ffffff0L, tinyPng()), Set.of(415), false));
        c.add(image("bmp BI_JPEG, imageSize 300 MB", "image/bmp",
                HostileImages.bmpEmbedding(4, 300_000_000L, HostileImages.jpeg(HostileImages.grey(16, 16, small),
                        false)), Set.of(415), false));
        // Bombs within the limits and just past them.
        c.add(image("png 6324x6324 8-bit grey digit (40 MP)", "image/png",
                HostileImages.png(6324, 6324, 8, GREY, HostileImages.digit(digitPixels, 6324, 6324)),
                Set.of(200), true));
        c.add(image("png 7000x7000 grey (49 MP, over the pixel limit)", "image/png",
                HostileImages.png(7000, 7000, 8, GREY, HostileImages.BLANK), Set.of(413), false));
        c.add(image("png IHDR 2147483647x2147483647", "image/png", pngClaiming(Integer.MAX_VALUE, Integer.MAX_VALUE),
                Set.of(413, 400), false));
        c.add(image("png IHDR width 0", "image/png", pngClaiming(0, 100), Set.of(400), false));
        c.add(image("png palette, tEXt chunk claiming 0x7ffffff0 bytes", "image/png",
                HostileImages.png(64, 64, 8, PALETTE, small, HostileImages.chunk("tEXt",
                        "Comment\0x".getBytes(StandardCharsets.ISO_8859_1), 0x7ffffff0L)), Set.of(400), false));
        c.add(image("png palette, unknown chunk claiming 0x7ffffff0 bytes", "image/png",
                HostileImages.png(64, 64, 8, PALETTE, small, HostileImages.chunk("zzZz", new byte[4], 0x7ffffff0L)),
                Set.of(400), false));
        c.add(image("png palette, zTXt bomb (5 MB inflating to 5 GB)", "image/png",
                HostileImages.png(200, 200, 8, PALETTE, small, HostileImages.chunk("zTXt", concat(
                        "Comment\0\0".getBytes(StandardCharsets.ISO_8859_1), HostileImages.zerosBomb(5000)))), Set.of(200), true));
        c.add(image("png grey, iCCP bomb", "image/png", HostileImages.png(200, 200, 8, GREY, small,
                HostileImages.chunk("iCCP", concat("icc\0\0".getBytes(StandardCharsets.ISO_8859_1),
                        HostileImages.zerosBomb(2000)))), Set.of(200, 400), false));
        byte[] truncatedIdat = Arrays.copyOf(smallPng, smallPng.length - 20);
        c.add(image("png without IEND, IDAT checksum cut", "image/png", truncatedIdat, Set.of(200, 400), false));
        c.add(image("png cut inside IDAT", "image/png", Arrays.copyOf(smallPng, smallPng.length / 2), Set.of(400),
                false));
        c.add(image("png IDAT zlib bomb (100x100 image, 1 GB of zeros)", "image/png",
                pngWithIdat(100, 100, HostileImages.zerosBomb(1000)), Set.of(400), false));
        c.add(image("png bit depth 3", "image/png", pngIhdr(64, 64, 3, GREY), Set.of(400), false));
        c.add(image("png colour type 7", "image/png", pngIhdr(64, 64, 8, 7), Set.of(400), false));
        c.add(image("png IHDR not first", "image/png", concat(Arrays.copyOf(smallPng, 8),
                HostileImages.chunk("tEXt", "a\0b".getBytes(StandardCharsets.ISO_8859_1)),
                Arrays.copyOfRange(smallPng, 8, smallPng.length)), Set.of(400), false));
        c.add(image("png 30000 empty ancillary chunks", "image/png", pngManyChunks(smallPng, 30_000),
                Set.of(200), false));
        c.add(image("png 200x200 grey digit", "image/png", smallPng, Set.of(200), false));
        c.add(image("png sent as image/jpeg", "image/jpeg", smallPng, Set.of(200), false));
        // BMP: lying headers in every field the JDK reads.
        c.add(image("bmp header 100000x100000 24-bit", "image/bmp",
                HostileImages.bmp(40, 100_000, 100_000, 24, 0, 54, 0, 0, new byte[64]), Set.of(413, 400), false));
        c.add(image("bmp 6000x6000 32-bit, 1 KB of pixels", "image/bmp",
                HostileImages.bmp(40, 6000, 6000, 32, 0, 54, 0, 0, new byte[1024]), Set.of(400), false));
        c.add(image("bmp RLE8, imageSize 0x7ffffff0", "image/bmp",
                HostileImages.bmp(40, 64, 64, 8, 1, 54 + 1024, 0x7ffffff0L, 0, new byte[1024 + 64]), Set.of(400),
                false));
        c.add(image("bmp bfOffBits 0xfffffff0", "image/bmp",
                HostileImages.bmp(40, 64, 64, 8, 0, 0xfffffff0L, 0, 0, new byte[4096]), Set.of(400), false));
        c.add(image("bmp V5, embedded profile of 0x7ffffff0 bytes", "image/bmp",
                HostileImages.bmp(124, 64, 64, 24, 0, 14 + 124, 0, 0x7ffffff0L, new byte[64 * 64 * 3]),
                Set.of(400), false));
        c.add(image("bmp bits per pixel 7", "image/bmp", HostileImages.bmp(40, 64, 64, 7, 0, 54, 0, 0, new byte[64]),
                Set.of(400), false));
        c.add(image("bmp 200x200 digit", "image/bmp", HostileImages.encode(toRgb(HostileImages.grey(200, 200, small)),
                "bmp"), Set.of(200), false));
        // GIF.
        byte[] gif = HostileImages.encode(HostileImages.grey(200, 200, small), "gif");
        c.add(image("gif logical screen and image 65535x65535", "image/gif", gifClaiming(gif, 65535, 65535),
                Set.of(413), false));
        c.add(image("gif 6000x6000 flat (LZW bomb, 36 MP)", "image/gif",
                HostileImages.encode(HostileImages.grey(6000, 6000, HostileImages.BLANK), "gif"), Set.of(400), true));
        c.add(image("gif truncated", "image/gif", Arrays.copyOf(gif, gif.length / 2), Set.of(400, 200), false));
        c.add(image("gif 200x200 digit", "image/gif", gif, Set.of(200), false));
        // JPEG.
        byte[] jpeg = HostileImages.jpeg(HostileImages.grey(200, 200, small), false);
        byte[] progressive = HostileImages.jpeg(HostileImages.grey(200, 200, small), true);
        c.add(image("jpeg SOF claiming 65500x65500", "image/jpeg", jpegClaiming(jpeg, 65500, 65500), Set.of(413),
                false));
        c.add(image("jpeg segment length past the end", "image/jpeg", jpegLyingSegment(jpeg), Set.of(400), false));
        c.add(image("jpeg progressive with 300 scans", "image/jpeg", jpegManyScans(progressive, 300), Set.of(413),
                false));
        c.add(image("jpeg truncated", "image/jpeg", Arrays.copyOf(jpeg, jpeg.length / 2), Set.of(400, 200), false));
        c.add(image("jpeg no frame header", "image/jpeg", new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff,
                (byte) 0xd9}, Set.of(400), false));
        c.add(image("jpeg progressive 200x200 digit", "image/jpeg", progressive, Set.of(200), false));
        c.add(image("jpeg 6000x6000 baseline digit (36 MP)", "image/jpeg",
                HostileImages.jpeg(HostileImages.grey(6000, 6000, HostileImages.digit(digitPixels, 6000, 6000)), false),
                Set.of(200), true));
        // Formats ImageIO reads but whose costs are not budgeted; no image at all.
        c.add(image("tiff", "image/png", HostileImages.encode(HostileImages.grey(64, 64, small), "tiff"),
                Set.of(415), false));
        c.add(image("wbmp", "image/bmp", HostileImages.encode(binary(64, 64), "wbmp"), Set.of(415), false));
        c.add(image("random bytes", "image/png", random(4096, 7), Set.of(415), false));
        c.add(image("empty image", "image/png", new byte[0], Set.of(400), false));
        return c;
    }

    // ------------------------------------------------------------------ JSON

    public List<Case> json() {
        List<Case> c = new ArrayList<>();
        String image = row(784);
        c.add(json("number of 1001 digits", "{\"instances\": [[" + "1".repeat(1001) + image.substring(1) + "]]}",
                Set.of(400)));
        c.add(json("number of 1001 digits in an ignored field", "{\"x\": " + "9".repeat(1001)
                + ", \"instances\": [[" + image + "]]}", Set.of(400)));
        c.add(json("fraction of 100000 digits", "[0." + "3".repeat(100_000) + "]", Set.of(400)));
        c.add(json("nesting 1001 deep", "[".repeat(1001) + "]".repeat(1001), Set.of(400)));
        c.add(json("nesting 1001 deep in an ignored field", "{\"x\": " + "[".repeat(1001) + "]".repeat(1001)
                + ", \"instances\": [[" + image + "]]}", Set.of(400)));
        c.add(json("objects nested 1001 deep in an ignored field", "{\"x\": " + "{\"a\":".repeat(1001)
                + "1" + "}".repeat(1001) + ", \"instances\": [[" + image + "]]}", Set.of(400)));
        c.add(json("6 MB of opening brackets", "[".repeat(MAX_BODY - 16), Set.of(400)));
        c.add(json("NaN", "{\"instances\": [[NaN" + image.substring(1) + "]]}", Set.of(400)));
        c.add(json("truncated", "{\"instances\": [[0, 1,", Set.of(400)));
        c.add(json("a control character in a string", "{\"a\": \"x\ny\"}", Set.of(400)));
        c.add(new Case("json invalid UTF-8", "application/json", new byte[] {'[', (byte) 0xff, (byte) 0xfe, ']'},
                Set.of(400), false, -1));
        c.add(json("1e99999", "[[1e99999" + image.substring(1) + "]]", Set.of(400)));
        c.add(json("4 MB string in an ignored field", "{\"x\": \"" + "a".repeat(4 << 20) + "\", \"instances\": [["
                + image + "]]}", Set.of(200)));
        c.add(json("1000000 empty arrays", "[" + "[],".repeat(1_000_000) + "[]]", Set.of(400, 413)));
        // Maximum size: as many real images as fit in the body limit.
        StringBuilder max = new StringBuilder("{\"instances\": [");
        String digit = digitRow();
        while (max.length() + digit.length() + 8 < MAX_BODY) {
            max.append(max.charAt(max.length() - 1) == '[' ? "" : ",").append('[').append(digit).append(']');
        }
        max.append("]}");
        c.add(new Case("json maximum size, " + max.toString().split("\\],\\[", -1).length + " images",
                "application/json", max.toString().getBytes(StandardCharsets.US_ASCII), Set.of(200), true, digitLabel));
        return c;
    }

    // ------------------------------------------------------------------ CSV

    public List<Case> csv() {
        List<Case> c = new ArrayList<>();
        c.add(csv("a single 6 MB number", "1".repeat(MAX_BODY - 1), Set.of(400)));
        c.add(csv("6 MB of commas", ",".repeat(MAX_BODY - 1), Set.of(400)));
        c.add(csv("10001 short lines", "0\n".repeat(10_001), Set.of(400, 413)));
        c.add(csv("a header line", "pixel0,pixel1\n" + row(784), Set.of(400)));
        c.add(new Case("csv invalid UTF-8", "text/csv", new byte[] {'1', ',', (byte) 0xff}, Set.of(400), false, -1));
        StringBuilder max = new StringBuilder();
        String digit = digitRow();
        while (max.length() + digit.length() + 1 < MAX_BODY) {
            max.append(digit).append('\n');
        }
        c.add(new Case("csv maximum size", "text/csv", max.toString().getBytes(StandardCharsets.US_ASCII), Set.of(200),
                true, digitLabel));
        return c;
    }

    // ------------------------------------------------------------------ .npy

    public List<Case> npy() {
        List<Case> c = new ArrayList<>();
        c.add(npy("shape (2^62, 784)", npyFile("<f4", "(4611686018427387904, 784)", 16), Set.of(413)));
        c.add(npy("shape (10001, 784), no data", npyFile("|u1", "(10001, 784)", 16), Set.of(413)));
        c.add(npy("shape (-1, 784)", npyFile("<f4", "(-1, 784)", 16), Set.of(400)));
        c.add(npy("shape (3, 784), one image of data", npyFile("<f4", "(3, 784)", 784 * 4), Set.of(400)));
        c.add(npy("dtype <i8", npyFile("<i8", "(1, 784)", 784 * 8), Set.of(400)));
        c.add(npy("dtype >f4", npyFile(">f4", "(1, 784)", 784 * 4), Set.of(400)));
        c.add(npy("fortran order", new String(npyFile("<f4", "(1, 784)", 784 * 4), StandardCharsets.ISO_8859_1)
                .replace("False", "True ").getBytes(StandardCharsets.ISO_8859_1), Set.of(400)));
        byte[] version9 = npyFile("<f4", "(1, 784)", 784 * 4);
        version9[6] = 9;
        c.add(npy("format version 9", version9, Set.of(400)));
        byte[] longHeader = npyFile("<f4", "(1, 784)", 0);
        longHeader[8] = (byte) 0xff;
        longHeader[9] = (byte) 0xff; // header length 65535, the file ends first
        c.add(npy("header length past the end", longHeader, Set.of(400)));
        ByteBuffer v2 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        v2.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(0x7ffffff0);
        c.add(npy("version 2 header claiming 2 GB", v2.array(), Set.of(400)));
        c.add(npy("value 1e30", npyOf("<f4", 1, 1e30f), Set.of(400)));
        c.add(npy("value NaN", npyOf("<f4", 1, Float.NaN), Set.of(400)));
        int images = (MAX_BODY - 128) / 784;
        byte[] max = npyFile("|u1", "(" + images + ", 784)", images * 784);
        int data = max.length - images * 784;
        for (int i = 0; i < images; i++) {
            System.arraycopy(digitPixels, 0, max, data + i * 784, 784);
        }
        c.add(new Case("npy maximum size, " + images + " uint8 images", "application/x-npy", max, Set.of(200), true,
                digitLabel));
        return c;
    }

    // ------------------------------------------------------------------ the rest

    public List<Case> misc() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("unknown content type", "application/x-protobuf", new byte[16], Set.of(415), false, -1));
        c.add(new Case("no content type", null, new byte[16], Set.of(415), false, -1));
        c.add(new Case("body one byte over the limit", "application/x-npy", new byte[MAX_BODY + 1], Set.of(413),
                false, -1));
        return c;
    }

    /**
     * What is wrong with an answer to {@code c}: an empty string when it is allowed. {@code shed}
     * is whether a 503 with {@code retryAfter} set is acceptable (concurrent replay of a maximum-size case).
     */
    public static String verdict(Case c, int status, String body, String retryAfter, boolean shed,
            int predictedLabel) {
        if (status == 503 && shed && c.mayBeShed()) {
            return retryAfter == null ? "503 without Retry-After" : "";
        }
        if (!c.allowed().contains(status)) {
            return "status " + status + " not in " + c.allowed() + ": " + abbreviate(body);
        }
        if (status >= 400 && INTERNALS.matcher(body).find()) {
            return "error message shows internals: " + abbreviate(body);
        }
        if (status == 200 && c.label() >= 0 && predictedLabel != c.label()) {
            return "predicted " + predictedLabel + ", the digit is " + c.label();
        }
        return "";
    }

    private static String abbreviate(String body) {
        return body.length() > 300 ? body.substring(0, 300) + "…" : body;
    }

    // ------------------------------------------------------------------ builders

    private Case image(String name, String type, byte[] body, Set<Integer> allowed, boolean maxSize) {
        boolean digit = name.contains("digit") && allowed.equals(Set.of(200));
        return new Case(name, type, body, allowed, maxSize, digit ? digitLabel : -1);
    }

    private static Case json(String name, String body, Set<Integer> allowed) {
        return new Case("json " + name, "application/json", body.getBytes(StandardCharsets.UTF_8), allowed, false, -1);
    }

    private static Case csv(String name, String body, Set<Integer> allowed) {
        return new Case("csv " + name, "text/csv", body.getBytes(StandardCharsets.UTF_8), allowed, false, -1);
    }

    private static Case npy(String name, byte[] body, Set<Integer> allowed) {
        return new Case("npy " + name, "application/x-npy", body, allowed, false, -1);
    }

    /** 784 zeros, comma-separated. */
    private static String row(int n) {
        return String.join(",", java.util.Collections.nCopies(n, "0"));
    }

    /** The digit as 784 values in 0..255, comma-separated. */
    private String digitRow() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 784; i++) {
            s.append(i == 0 ? "" : ",").append(digitPixels[i] & 0xff);
        }
        return s.toString();
    }

    /** A .npy file of {@code dtype} and {@code shape} followed by {@code dataBytes} zero bytes. */
    public static byte[] npyFile(String dtype, String shape, int dataBytes) {
        String header = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = 10 + header.length() + 1;
        header = header + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }

    private static byte[] npyOf(String dtype, int images, float value) {
        byte[] file = npyFile(dtype, "(" + images + ", 784)", images * 784 * 4);
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putFloat(file.length - 4, value);
        return file;
    }

    private static byte[] tinyPng() {
        BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        return HostileImages.encode(image, "png");
    }

    /** A PNG whose IHDR claims {@code w}×{@code h}, with a few bytes of image data. */
    private static byte[] pngClaiming(int w, int h) {
        return pngWithIdat(w, h, HostileImages.deflate(new byte[64], 1));
    }

    private static byte[] pngWithIdat(int w, int h, byte[] idat) {
        return concat(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                HostileImages.chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0)
                        .put((byte) 0).put((byte) 0).put((byte) 0).array()),
                HostileImages.chunk("IDAT", idat), HostileImages.chunk("IEND", new byte[0]));
    }

    private static byte[] pngIhdr(int w, int h, int bitDepth, int colourType) {
        return concat(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                HostileImages.chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bitDepth)
                        .put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).array()),
                HostileImages.chunk("IDAT", HostileImages.deflate(new byte[w * 4 + 1], h)),
                HostileImages.chunk("IEND", new byte[0]));
    }

    /** {@code png} with {@code n} empty private chunks after its IHDR. */
    private static byte[] pngManyChunks(byte[] png, int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, 33); // signature and IHDR
        byte[] empty = HostileImages.chunk("prVt", new byte[0]);
        for (int i = 0; i < n; i++) {
            out.write(empty, 0, empty.length);
        }
        out.write(png, 33, png.length - 33);
        return out.toByteArray();
    }

    /** A GIF whose logical screen and first image descriptor claim {@code w}×{@code h}. */
    private static byte[] gifClaiming(byte[] gif, int w, int h) {
        byte[] out = gif.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(6, (short) w).putShort(8, (short) h);
        int flags = out[10] & 0xff;
        int at = 13 + ((flags & 0x80) != 0 ? 3 * (1 << ((flags & 7) + 1)) : 0);
        while (at < out.length && out[at] != 0x2c) { // skip extensions up to the image descriptor
            if (out[at] == 0x21) {
                at += 2;
                while (at < out.length && out[at] != 0) {
                    at += (out[at] & 0xff) + 1;
                }
                at++;
            } else {
                break;
            }
        }
        if (at + 9 < out.length && out[at] == 0x2c) {
            b.putShort(at + 5, (short) w).putShort(at + 7, (short) h);
        }
        return out;
    }

    /** A JPEG whose frame header claims {@code w}×{@code h}. */
    private static byte[] jpegClaiming(byte[] jpeg, int w, int h) {
        byte[] out = jpeg.clone();
        int sof = HostileImages.jpegMarker(out, 0xc0);
        ByteBuffer.wrap(out).putShort(sof + 5, (short) h).putShort(sof + 7, (short) w);
        return out;
    }

    /** A JPEG whose first segment after SOI claims to run past the end of the file. */
    private static byte[] jpegLyingSegment(byte[] jpeg) {
        byte[] out = jpeg.clone();
        ByteBuffer.wrap(out).putShort(4, (short) 0xfff0);
        return Arrays.copyOf(out, Math.min(out.length, 2000));
    }

    /** A progressive JPEG with its last scan repeated until it has {@code scans} scans. */
    private static byte[] jpegManyScans(byte[] progressive, int scans) {
        int last = -1;
        for (int i = 2; i + 1 < progressive.length; i++) {
            if ((progressive[i] & 0xff) == 0xff && (progressive[i + 1] & 0xff) == 0xda) {
                last = i;
            }
        }
        int eoi = progressive.length - 2;
        byte[] scan = Arrays.copyOfRange(progressive, last, eoi);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(progressive, 0, eoi);
        for (int i = 0; i < scans; i++) {
            out.write(scan, 0, scan.length);
        }
        out.write(progressive, eoi, 2);
        return out.toByteArray();
    }

    private static BufferedImage toRgb(BufferedImage grey) {
        BufferedImage rgb = new BufferedImage(grey.getWidth(), grey.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        rgb.getGraphics().drawImage(grey, 0, 0, null);
        return rgb;
    }

    private static BufferedImage binary(int w, int h) {
        return new BufferedImage(w, h, BufferedImage.TYPE_BYTE_BINARY);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        b[0] = 'x';
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /** For messages: "png 6300x6300 …" etc. */
    public static String names(List<Case> cases) {
        return String.join(", ", cases.stream().map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
    }
}
