package org.mnistpipeline.pipeline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class NearDuplicatesTest {
    private static byte[] signature(byte[] encoded) throws IOException {
        return NearDuplicates.signature(ImageIO.read(new ByteArrayInputStream(encoded)));
    }

    private static double similarity(byte[] a, byte[] b) {
        NearDuplicates<String> index = new NearDuplicates<>();
        index.add(NearDuplicates.entry(a, "a"));
        return index.find(NearDuplicates.entry(b, "b")).map(NearDuplicates.Match::similarity).orElse(0.0);
    }

    private static double cosine(byte[] a, byte[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            int x = a[i] & 0xff;
            int y = b[i] & 0xff;
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void aDigitReEncodedOrRescaledIsANearDuplicateOfItself() throws IOException {
        double worst = 1;
        for (int i = 0; i < 60; i++) {
            byte[] png = signature(MnistDigits.png(i, 112));
            worst = Math.min(worst, similarity(png, signature(MnistDigits.jpeg(i, 84))));
            worst = Math.min(worst, similarity(png, signature(MnistDigits.jpeg(i, 200))));
            worst = Math.min(worst, similarity(png, signature(MnistDigits.png(i, 56))));
        }
        System.out.printf("worst similarity of a re-encoded digit to its PNG: %.4f%n", worst);
        assertThat(worst).isGreaterThanOrEqualTo(NearDuplicates.THRESHOLD);
    }

    @Test
    void distinctMnistDigitsAreNotNearDuplicatesEvenOnes() {
        NearDuplicates<Integer> index = new NearDuplicates<>();
        int found = 0;
        for (int i = 0; i < 4000; i++) {
            NearDuplicates.Entry<Integer> e = NearDuplicates.entry(
                    NearDuplicates.signatureOfMnist(MnistDigits.pixels(i)), i);
            if (index.find(e).isPresent()) {
                found++;
            }
            index.add(e);
        }
        assertThat(found).isZero();
    }

    @Test
    void theGridFindsEveryPairABruteForceComparisonFinds() {
        Random random = new Random(42);
        NearDuplicates<Integer> index = new NearDuplicates<>();
        byte[][] originals = new byte[300][];
        for (int i = 0; i < originals.length; i++) {
            originals[i] = NearDuplicates.signatureOfMnist(MnistDigits.pixels(i));
            index.add(NearDuplicates.entry(originals[i], i));
        }
        int close = 0;
        for (int i = 0; i < originals.length; i++) {
            byte[] noisy = Arrays.copyOf(originals[i], originals[i].length);
            for (int p = 0; p < noisy.length; p++) {
                int v = (noisy[p] & 0xff) + (int) Math.round(random.nextGaussian() * 8);
                noisy[p] = (byte) Math.max(0, Math.min(255, v));
            }
            double truth = cosine(originals[i], noisy);
            var match = index.find(NearDuplicates.entry(noisy, "noisy"));
            if (truth >= NearDuplicates.THRESHOLD) {
                close++;
                assertThat(match).as("copy of %d at similarity %.4f", i, truth).isPresent();
                assertThat(match.get().similarity()).isGreaterThanOrEqualTo(truth - 1e-6);
            }
        }
        assertThat(close).as("noisy copies above the threshold").isGreaterThan(100);
    }
}
