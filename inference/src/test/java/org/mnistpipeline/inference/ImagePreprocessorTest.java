package org.mnistpipeline.inference;

import org.mnistpipeline.RequestException;
import org.mnistpipeline.MnistException.Kind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.inference.MnistTestImages.Style;

class ImagePreprocessorTest {
    private final ImagePreprocessor preprocessor = new ImagePreprocessor();

    @Test
    void realDigitsDrawnAsUserPicturesComeBackAsTheMnistOriginal() {
        // 200 MNIST test digits, each drawn one of nine ways (sizes 28² to 900², PNG/JPEG/GIF/BMP,
        // both polarities, coloured paper, transparent background, 16-bit grey, off-centre).
        Map<RenderedDigits, double[]> byStyle = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            RenderedDigits style = RenderedDigits.ALL.get(i % RenderedDigits.ALL.size());
            double diff = MnistTestImages.meanAbsDiff(preprocessor.preprocess(style.encode(i)), MnistTestImages.image(i));
            assertThat(diff).as("mean abs difference of digit %d drawn as %s", i, style).isLessThan(0.15);
            double[] acc = byStyle.computeIfAbsent(style, s -> new double[2]);
            acc[0] += diff;
            acc[1]++;
        }
        byStyle.forEach((style, acc) -> assertThat(acc[0] / acc[1]).as("mean over %s", style).isLessThan(0.1));
    }

    @Test
    void mnistSizedGreyPngIsReproducedAlmostExactly() {
        // Grey PNGs are read from their samples: Java's getRGB would treat grey as linear and brighten it.
        RenderedDigits native28 = new RenderedDigits("28²", Style.MNIST_GREY, "png", 28, 28, 0, 0, 28);
        for (int i = 0; i < 20; i++) {
            assertThat(MnistTestImages.meanAbsDiff(preprocessor.preprocess(native28.encode(i)), MnistTestImages.image(i)))
                    .isLessThan(0.01);
        }
    }

    @Test
    void outputIsInkBrightInUnitRangeWithDigitCentred() {
        float[] out = preprocessor.preprocess(RenderedDigits.ALL.get(2).encode(0));
        assertThat(out).hasSize(784);
        float max = 0;
        double mass = 0;
        double my = 0;
        double mx = 0;
        for (int i = 0; i < 784; i++) {
            assertThat(out[i]).isBetween(0f, 1f);
            max = Math.max(max, out[i]);
            mass += out[i];
            my += out[i] * (i / 28);
            mx += out[i] * (i % 28);
        }
        assertThat(max).isEqualTo(1f);
        assertThat(my / mass).isCloseTo(14, org.assertj.core.api.Assertions.within(0.5));
        assertThat(mx / mass).isCloseTo(14, org.assertj.core.api.Assertions.within(0.5));
        // Corners are paper.
        assertThat(out[0]).isZero();
        assertThat(out[783]).isZero();
    }

    @Test
    void aspectRatioIsKeptWhenScalingIntoTheTwentyPixelBox() {
        BufferedImage bar = new BufferedImage(400, 100, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = bar.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 400, 100);
        g.setColor(Color.BLACK);
        g.fillRect(50, 40, 300, 30); // 10:1 bar
        g.dispose();
        float[] out = preprocessor.preprocess(MnistTestImages.encode(bar, "png"));
        int cols = 0;
        int inkRows = 0;
        for (int r = 0; r < 28; r++) {
            float rowSum = 0;
            for (int c = 0; c < 28; c++) {
                rowSum += out[r * 28 + c];
            }
            if (rowSum > 0) {
                inkRows++;
            }
        }
        for (int c = 0; c < 28; c++) {
            float colSum = 0;
            for (int r = 0; r < 28; r++) {
                colSum += out[r * 28 + c];
            }
            if (colSum > 0) {
                cols++;
            }
        }
        assertThat(cols).isEqualTo(20);
        assertThat(inkRows).isEqualTo(2);
    }

    @Test
    void blankOrNearBlankImagesHaveNoInk() {
        BufferedImage white = filled(200, 200, BufferedImage.TYPE_INT_RGB, Color.WHITE);
        BufferedImage black = filled(200, 200, BufferedImage.TYPE_BYTE_GRAY, Color.BLACK);
        BufferedImage transparent = filled(200, 200, BufferedImage.TYPE_INT_ARGB, new Color(0, 0, 0, 0));
        BufferedImage noisy = filled(200, 200, BufferedImage.TYPE_INT_RGB, Color.WHITE);
        Random random = new Random(1);
        for (int y = 0; y < 200; y++) {
            for (int x = 0; x < 200; x++) {
                int v = 250 + random.nextInt(6); // faint paper texture, no ink
                noisy.setRGB(x, y, new Color(v, v, v).getRGB());
            }
        }
        BufferedImage speck = filled(200, 200, BufferedImage.TYPE_INT_RGB, Color.WHITE);
        speck.setRGB(100, 100, Color.BLACK.getRGB());
        for (BufferedImage image : new BufferedImage[] {white, black, transparent, noisy, speck}) {
            assertThatThrownBy(() -> preprocessor.preprocess(MnistTestImages.encode(image, "png")))
                    .isInstanceOf(RequestException.class)
                    .hasMessageStartingWith("image has no ink")
                    .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.BAD_INPUT);
        }
    }

    @Test
    void decompressionBombIsRefusedFromItsHeaderBeforeDecoding() throws IOException {
        // A valid PNG header claiming 100000×100000 (10 gigapixels, 40 GB decoded) in 60-odd bytes.
        byte[] bomb = pngClaiming(100_000, 100_000);
        assertThat(bomb.length).isLessThan(200);
        long start = System.nanoTime();
        assertThatThrownBy(() -> preprocessor.preprocess(bomb))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("100000×100000")
                .hasMessageContaining("limit is 40.0 megapixels")
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(2.0);
    }

    @Test
    void pixelLimitIsConfigurable() {
        byte[] png = RenderedDigits.ALL.get(0).encode(0); // 280×280 = 78,400 pixels
        assertThatThrownBy(() -> new ImagePreprocessor(50_000).preprocess(png))
                .isInstanceOf(RequestException.class)
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
        assertThat(new ImagePreprocessor(78_400).preprocess(png)).hasSize(784);
    }

    @Test
    void bytesThatAreNoImageAreUnsupportedMediaType() {
        byte[] random = new byte[1000];
        new Random(7).nextBytes(random);
        random[0] = 'x';
        for (byte[] bytes : new byte[][] {random, "hello, world".getBytes(), tiff()}) {
            assertThatThrownBy(() -> preprocessor.preprocess(bytes))
                    .isInstanceOf(RequestException.class)
                    .hasMessageContaining("not a PNG, JPEG, GIF or BMP image")
                    .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.UNSUPPORTED_MEDIA_TYPE);
        }
    }

    @Test
    void corruptOrTruncatedImagesAreBadInput() throws IOException {
        byte[] png = RenderedDigits.ALL.get(1).encode(0);
        byte[] truncated = Arrays.copyOf(png, png.length / 2);
        byte[] garbled = png.clone();
        for (int i = 100; i < garbled.length; i++) {
            garbled[i] ^= (byte) 0x5a;
        }
        byte[] headerOnly = Arrays.copyOf(pngClaiming(100, 100), 33); // signature + IHDR, no data
        for (byte[] bytes : new byte[][] {truncated, garbled, headerOnly, new byte[0]}) {
            assertThatThrownBy(() -> preprocessor.preprocess(bytes))
                    .isInstanceOf(RequestException.class)
                    .satisfies(e -> assertThat(((RequestException) e).kind()).isEqualTo(Kind.BAD_INPUT))
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("corrupt", "cannot read", "empty"));
        }
    }

    @Test
    void mnistBytesOfTheWrongLengthAreBadInput() {
        assertThatThrownBy(() -> ImagePreprocessor.fromMnistBytes(new byte[783]))
                .isInstanceOf(RequestException.class).hasMessageContaining("expected 784").hasMessageContaining("783");
        byte[] pixels = new byte[784];
        pixels[0] = (byte) 255;
        pixels[1] = (byte) 51;
        assertThat(ImagePreprocessor.fromMnistBytes(pixels)).startsWith(1f, 0.2f, 0f);
    }

    private static BufferedImage filled(int w, int h, int type, Color colour) {
        BufferedImage image = new BufferedImage(w, h, type);
        Graphics2D g = image.createGraphics();
        g.setComposite(java.awt.AlphaComposite.Src);
        g.setColor(colour);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return image;
    }

    private static byte[] tiff() {
        return MnistTestImages.encode(MnistTestImages.render(0, Style.MNIST_GREY, 28, 28, 0, 0, 28), "tiff");
    }

    /** A well-formed 8-bit grey PNG whose IHDR claims {@code w}×{@code h}, with a few bytes of data. */
    static byte[] pngClaiming(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        data.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream ih = new DataOutputStream(ihdr);
        ih.writeInt(w);
        ih.writeInt(h);
        ih.write(new byte[] {8, 0, 0, 0, 0}); // bit depth 8, grey, deflate, adaptive filter, no interlace
        chunk(data, "IHDR", ihdr.toByteArray());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[64]);
        deflater.finish();
        byte[] compressed = new byte[128];
        int n = deflater.deflate(compressed);
        chunk(data, "IDAT", Arrays.copyOf(compressed, n));
        chunk(data, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] body) throws IOException {
        out.writeInt(body.length);
        byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(typeBytes);
        out.write(body);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(body);
        out.writeInt((int) crc.getValue());
    }
}
