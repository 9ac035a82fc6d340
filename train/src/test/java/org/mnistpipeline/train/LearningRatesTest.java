package org.mnistpipeline.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters.Schedule;

class LearningRatesTest {
    @Test
    void oneCycleWarmsUpToThePeakThenAnnealsTowardsZero() {
        assertThat(LearningRates.at(Schedule.ONECYCLE, 1f, 0.2f, 0, 100)).isCloseTo(0.04f, offset(1e-6f));
        assertThat(LearningRates.at(Schedule.ONECYCLE, 1f, 0.2f, 20, 100)).isCloseTo(1f, offset(1e-6f));
        assertThat(LearningRates.at(Schedule.ONECYCLE, 1f, 0.2f, 60, 100)).isCloseTo(0.5f, offset(1e-3f));
        assertThat(LearningRates.at(Schedule.ONECYCLE, 1f, 0.2f, 100, 100)).isLessThan(1e-3f);
    }

    @Test
    void cosineWithoutWarmupStartsAtThePeak() {
        assertThat(LearningRates.at(Schedule.COSINE, 0.1f, 0f, 0, 10)).isCloseTo(0.1f, offset(1e-6f));
        assertThat(LearningRates.at(Schedule.COSINE, 0.1f, 0f, 5, 10)).isCloseTo(0.05f, offset(1e-6f));
        assertThat(LearningRates.at(Schedule.CONSTANT, 0.1f, 0.5f, 7, 10)).isEqualTo(0.1f);
    }

    @Test
    void augmentationIsSeededAndZeroAmountsLeaveImagesUntouched() {
        float[] image = new float[28 * 28];
        for (int y = 8; y < 20; y++) {
            image[y * 28 + 14] = 1f; // a vertical stroke
        }
        float[] same = new float[image.length];
        new Augmenter(Augmentation.none(), 28, 28).apply(image, 0, same, 0, new SplittableRandom(1));
        assertThat(same).containsExactly(image);

        Augmenter strong = new Augmenter(Augmentation.ofStrength(1.5f), 28, 28);
        float[] a = new float[image.length];
        float[] b = new float[image.length];
        float[] c = new float[image.length];
        strong.apply(image, 0, a, 0, new SplittableRandom(42));
        strong.apply(image, 0, b, 0, new SplittableRandom(42));
        strong.apply(image, 0, c, 0, new SplittableRandom(43));
        assertThat(a).containsExactly(b).isNotEqualTo(image);
        assertThat(c).isNotEqualTo(a);
        // Ink is moved, not created or destroyed wholesale: total intensity stays within the zoom range.
        double inkBefore = sum(image);
        assertThat(sum(a)).isBetween(inkBefore * 0.6, inkBefore * 1.5);
    }

    private static double sum(float[] values) {
        double s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }
}
