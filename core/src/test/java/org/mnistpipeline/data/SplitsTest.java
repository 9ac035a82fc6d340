package org.mnistpipeline.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitsTest {
    private static final int N = 300;

    /** {@code N} 1x2 images whose two pixels encode the image's index, so every image is identifiable. */
    private static LabeledImages indexed() {
        byte[] pixels = new byte[N * 2];
        byte[] labels = new byte[N];
        for (int i = 0; i < N; i++) {
            pixels[2 * i] = (byte) (i & 0xff);
            pixels[2 * i + 1] = (byte) (i >> 8);
            labels[i] = (byte) (i % 10);
        }
        return new LabeledImages(pixels, labels, 1, 2, 10);
    }

    private static List<Integer> indices(LabeledImages images) {
        return IntStream.range(0, images.size())
                .mapToObj(i -> (images.pixels()[2 * i] & 0xff) | (images.pixels()[2 * i + 1] & 0xff) << 8)
                .toList();
    }

    @Test
    void partsHaveTheRequestedSizes() {
        Splits.TrainValidation split = Splits.trainValidation(indexed(), 50, 7);

        assertThat(split.validation().size()).isEqualTo(50);
        assertThat(split.train().size()).isEqualTo(N - 50);
        assertThat(split.train().numClasses()).isEqualTo(10);
        assertThat(split.validation().numClasses()).isEqualTo(10);
    }

    @Test
    void partsAreDisjointAndTogetherHoldEveryImage() {
        Splits.TrainValidation split = Splits.trainValidation(indexed(), 50, 7);
        List<Integer> train = indices(split.train());
        List<Integer> validation = indices(split.validation());

        assertThat(train).doesNotHaveDuplicates().doesNotContainAnyElementsOf(validation);
        assertThat(validation).doesNotHaveDuplicates();
        Set<Integer> union = new HashSet<>(train);
        union.addAll(validation);
        assertThat(union).containsExactlyInAnyOrderElementsOf(IntStream.range(0, N).boxed().toList());
    }

    @Test
    void labelsTravelWithTheirImages() {
        Splits.TrainValidation split = Splits.trainValidation(indexed(), 50, 7);
        List<Integer> validation = indices(split.validation());

        for (int i = 0; i < validation.size(); i++) {
            assertThat(split.validation().label(i)).isEqualTo(validation.get(i) % 10);
        }
    }

    @Test
    void eachPartKeepsTheOriginalOrder() {
        Splits.TrainValidation split = Splits.trainValidation(indexed(), 50, 7);

        assertThat(indices(split.train())).isSorted();
        assertThat(indices(split.validation())).isSorted();
    }

    @Test
    void sameSeedGivesTheSameSplit() {
        Splits.TrainValidation first = Splits.trainValidation(indexed(), 50, 42);
        Splits.TrainValidation second = Splits.trainValidation(indexed(), 50, 42);

        assertThat(second).isEqualTo(first);
    }

    @Test
    void differentSeedGivesADifferentSplit() {
        Splits.TrainValidation first = Splits.trainValidation(indexed(), 50, 42);
        Splits.TrainValidation second = Splits.trainValidation(indexed(), 50, 43);

        assertThat(indices(second.validation())).isNotEqualTo(indices(first.validation()));
    }

    @Test
    void emptyValidationKeepsEveryImageForTraining() {
        Splits.TrainValidation split = Splits.trainValidation(indexed(), 0, 1);

        assertThat(split.validation().size()).isZero();
        assertThat(split.train()).isEqualTo(indexed());
    }

    @Test
    void negativeValidationSizeIsRejected() {
        assertThatThrownBy(() -> Splits.trainValidation(indexed(), -1, 1))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("validation size -1 must be in [0, 300)");
    }

    @Test
    void validationSizeThatLeavesNoTrainingImagesIsRejected() {
        assertThatThrownBy(() -> Splits.trainValidation(indexed(), N, 1))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("validation size 300 must be in [0, 300)");
    }

    @Test
    void permutationHoldsEveryIndexOnce() {
        int[] order = Splits.permutation(100, 5);

        assertThat(order).hasSize(100).doesNotHaveDuplicates();
        assertThat(order).containsExactlyInAnyOrder(IntStream.range(0, 100).toArray());
        assertThat(Splits.permutation(100, 5)).containsExactly(order);
    }
}
