package org.mnistpipeline.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.MnistTestImages.Style;
import org.mnistpipeline.inference.hostile.HostileImages;

/**
 * Issue 15, defect 1: decode memory is budgeted from the header, before decoding. Each of the
 * issue's reproductions is here: the 6300×6300 16-bit RGBA PNG (inside the 40-megapixel limit,
 * 318 MB decoded), two concurrent 40-megapixel 8-bit PNGs, and the 281-byte BMP claiming 2 GB of
 * embedded PNG. Budgets are set explicitly (256 MB: half of the 512 MB heap `mnist serve` runs with).
 */
class DecodeBudgetTest {
    private static final long SERVE_BUDGET = 256L << 20;

    @Test
    void sixteenBitRgbaPngWithinThePixelLimitIsRefusedForItsDecodedSizeBeforeDecoding() {
        byte[] png = HostileImages.png(6300, 6300, 16, HostileImages.RGBA, HostileImages.BLANK);
        assertThat(png.length).isBetween(300_000, 400_000); // the 333 KB
        MemoryBudget budget = new MemoryBudget(SERVE_BUDGET);
        long start = System.nanoTime();
        assertThatThrownBy(() -> new ImagePreprocessor(ImagePreprocessor.DEFAULT_MAX_PIXELS, budget).preprocess(png))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("decoding this 6300×6300 PNG needs about 3")
                .hasMessageContaining("more than the 269 MB this server gives one request")
                .hasMessageContaining("8 bits per channel")
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
        assertThat((System.nanoTime() - start) / 1e9).as("seconds: refused from the header").isLessThan(2.0);
        assertThat(budget.used()).isZero();
    }

    @Test
    void twoConcurrentFortyMegapixelPngsShareOneBudgetAndTheSecondIsToldToRetry() throws Exception {
        byte[] pixels = java.util.Arrays.copyOfRange(MnistTestImages.test().pixels(), 0, 784);
        byte[] png = HostileImages.png(6324, 6324, 8, HostileImages.RGBA, HostileImages.digit(pixels, 6324, 6324));
        MemoryBudget budget = new MemoryBudget(SERVE_BUDGET);
        ImagePreprocessor shared = new ImagePreprocessor(ImagePreprocessor.DEFAULT_MAX_PIXELS, budget);
        CyclicBarrier together = new CyclicBarrier(2);
        List<Object> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<Object>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                futures.add(pool.submit(() -> {
                    together.await();
                    try {
                        return shared.preprocess(png);
                    } catch (RequestException e) {
                        return e;
                    }
                }));
            }
            for (Future<Object> f : futures) {
                outcomes.add(f.get());
            }
        }
        // 160 MB of RGBA each: one fits the 256 MB budget, both do not.
        assertThat(outcomes).filteredOn(o -> o instanceof float[]).hasSize(1);
        assertThat(outcomes).filteredOn(o -> o instanceof RequestException.RetryLater).singleElement()
                .satisfies(e -> {
                    RequestException.RetryLater later = (RequestException.RetryLater) e;
                    assertThat(later.kind().httpStatus()).isEqualTo(503);
                    assertThat(later.retryAfterHeader()).isEqualTo("1");
                    assertThat(later.getMessage()).contains("busy").contains("retry in 1 s");
                });
        assertThat(budget.used()).isZero();
        assertThat(shared.preprocess(png)).hasSize(784); // alone, it fits
    }

    @Test
    void bmpClaimingTwoGigabytesOfEmbeddedPngIsRefusedUnread() {
        byte[] tinyPng = HostileImages.encode(new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY), "png");
        byte[] bmp = HostileImages.bmpEmbedding(5, 0x7ffffff0L, tinyPng);
        assertThat(bmp.length).isLessThan(400);
        for (long claimed : new long[] {0x7ffffff0L, 300_000_000L}) {
            byte[] lying = HostileImages.bmpEmbedding(5, claimed, tinyPng);
            assertThatThrownBy(() -> new ImagePreprocessor().preprocess(lying))
                    .isInstanceOf(RequestException.class)
                    .hasMessage("BMPs with embedded PNG data are not supported; send the PNG itself")
                    .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.UNSUPPORTED_MEDIA_TYPE);
        }
    }

    @Test
    void paletteChunkClaimingTwoGigabytesIsRefusedBeforeTheDecoderAllocatesIt() {
        byte[] png = HostileImages.png(64, 64, 8, HostileImages.PALETTE, HostileImages.BLANK,
                HostileImages.chunk("tEXt", "Comment\0x".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                        0x7ffffff0L));
        assertThatThrownBy(() -> new ImagePreprocessor().preprocess(png))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("tEXt chunk claims 2147483632 bytes but only")
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.BAD_INPUT);
    }

    @Test
    void jpegOfMoreScansThanTheLimitIsRefusedFromItsMarkers() {
        BufferedImage digit = MnistTestImages.render(0, Style.PEN_ON_PAPER, 120, 120, 10, 10, 100);
        byte[] progressive = HostileImages.jpeg(digit, true);
        assertThat(new ImagePreprocessor().preprocess(progressive)).hasSize(784);
        byte[] many = repeatLastScan(progressive, ImageHeaders.MAX_JPEG_SCANS);
        assertThatThrownBy(() -> new ImagePreprocessor().preprocess(many))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("more than 100 scans")
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
    }

    @Test
    void progressiveJpegCountsItsCoefficientsAgainstTheBudget() {
        BufferedImage digit = MnistTestImages.render(0, Style.PEN_ON_PAPER, 2000, 2000, 100, 100, 1800);
        byte[] baseline = HostileImages.jpeg(digit, false);
        byte[] progressive = HostileImages.jpeg(digit, true);
        // 2000×2000 RGB: 21 MB with the decoded image and working rows either way; a progressive decode
        // also holds its coefficients (4:2:0, 2 bytes each: 12 MB).
        MemoryBudget tight = new MemoryBudget(25_000_000);
        ImagePreprocessor preprocessor = new ImagePreprocessor(ImagePreprocessor.DEFAULT_MAX_PIXELS, tight);
        assertThat(preprocessor.preprocess(baseline)).hasSize(784);
        assertThatThrownBy(() -> preprocessor.preprocess(progressive))
                .isInstanceOf(RequestException.class)
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.TOO_LARGE);
    }

    @Test
    void largeImagesAreProcessedRowByRowWithTheSameResultAsWhenKeptWhole() {
        MemoryBudget budget = MemoryBudget.ofHeap();
        ImagePreprocessor keeps = new ImagePreprocessor(ImagePreprocessor.DEFAULT_MAX_PIXELS, budget, Long.MAX_VALUE);
        ImagePreprocessor streams = new ImagePreprocessor(ImagePreprocessor.DEFAULT_MAX_PIXELS, budget, 0);
        for (Style style : new Style[] {Style.PEN_ON_PAPER, Style.MNIST_GREY, Style.BLACK_ON_TRANSPARENT,
                Style.GREY16, Style.CHALK_ON_SLATE}) {
            for (int size : new int[] {28, 300, 1500}) {
                BufferedImage image = MnistTestImages.render(7, style, size, size, size / 10, size / 20, size * 4 / 5);
                assertThat(streams.preprocess(image)).as("%s %d", style, size).containsExactly(keeps.preprocess(image));
            }
        }
    }

    @Test
    void decoderErrorsNameNoJavaClasses() {
        BufferedImage digit = MnistTestImages.render(0, Style.PEN_ON_PAPER, 120, 120, 10, 10, 100);
        List<byte[]> broken = new ArrayList<>();
        for (String format : new String[] {"png", "gif", "bmp"}) {
            byte[] whole = MnistTestImages.encode(digit, format);
            broken.add(java.util.Arrays.copyOf(whole, whole.length / 3));
            broken.add(java.util.Arrays.copyOf(whole, 30));
        }
        byte[] jpeg = HostileImages.jpeg(digit, false);
        broken.add(java.util.Arrays.copyOf(jpeg, 300));
        for (byte[] bytes : broken) {
            try {
                new ImagePreprocessor().preprocess(bytes);
            } catch (RequestException e) {
                assertThat(e.getMessage()).doesNotContainPattern("Exception|java\\.|javax\\.|\\bat [a-z]");
            }
        }
    }

    private static byte[] repeatLastScan(byte[] progressive, int extra) {
        int last = -1;
        for (int i = 2; i + 1 < progressive.length; i++) {
            if ((progressive[i] & 0xff) == 0xff && (progressive[i + 1] & 0xff) == 0xda) {
                last = i;
            }
        }
        int eoi = progressive.length - 2;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(progressive, 0, eoi);
        for (int i = 0; i < extra; i++) {
            out.write(progressive, last, eoi - last);
        }
        out.write(progressive, eoi, 2);
        return out.toByteArray();
    }
}
