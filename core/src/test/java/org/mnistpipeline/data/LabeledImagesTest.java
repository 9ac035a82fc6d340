package org.mnistpipeline.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LabeledImagesTest {

    private static Idx.IdxArray images(int count, int rows, int cols) {
        byte[] pixels = new byte[count * rows * cols];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) i;
        }
        return new Idx.IdxArray(new int[] {count, rows, cols}, pixels);
    }

    private static Idx.IdxArray labels(int... values) {
        byte[] data = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            data[i] = (byte) values[i];
        }
        return new Idx.IdxArray(new int[] {values.length}, data);
    }

    @Test
    void imageAndLabelCountMismatchIsRejected() {
        assertThatThrownBy(() -> LabeledImages.of(images(3, 2, 2), labels(0, 1), "train set"))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("train set: 3 images but 2 labels");
    }

    @Test
    void imageFileOfWrongRankIsRejected() {
        Idx.IdxArray flat = new Idx.IdxArray(new int[] {2, 4}, new byte[8]);

        assertThatThrownBy(() -> LabeledImages.of(flat, labels(0, 1), "test set"))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("test set: image file must have 3 dimensions")
                .hasMessageContaining("has 2");
    }

    @Test
    void labelFileOfWrongRankIsRejected() {
        Idx.IdxArray labels = new Idx.IdxArray(new int[] {2, 1}, new byte[2]);

        assertThatThrownBy(() -> LabeledImages.of(images(2, 2, 2), labels, "test set"))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("label file must have 1 dimension, has 2");
    }

    @Test
    void numberOfClassesComesFromTheLargestLabel() {
        LabeledImages set = LabeledImages.of(images(4, 2, 3), labels(0, 4, 2, 4), "set");

        assertThat(set.numClasses()).isEqualTo(5);
        assertThat(set.size()).isEqualTo(4);
        assertThat(set.rows()).isEqualTo(2);
        assertThat(set.cols()).isEqualTo(3);
        assertThat(set.label(1)).isEqualTo(4);
    }

    @Test
    void labelsAreReadAsUnsignedBytes() {
        LabeledImages set = LabeledImages.of(images(2, 1, 1), labels(200, 3), "set");

        assertThat(set.numClasses()).isEqualTo(201);
        assertThat(set.label(0)).isEqualTo(200);
    }

    @Test
    void labelOutsideDeclaredClassesIsRejected() {
        assertThatThrownBy(() -> new LabeledImages(new byte[4], new byte[] {0, 3}, 1, 2, 3))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("label 3 outside [0, 3)");
    }

    @Test
    void selectCopiesImagesAndLabelsInTheGivenOrder() {
        LabeledImages set = LabeledImages.of(images(4, 1, 2), labels(0, 1, 2, 3), "set");

        LabeledImages picked = set.select(new int[] {3, 0, 3});

        assertThat(picked.size()).isEqualTo(3);
        assertThat(picked.labels()).containsExactly(3, 0, 3);
        assertThat(picked.pixels()).containsExactly(6, 7, 0, 1, 6, 7);
        assertThat(picked.numClasses()).isEqualTo(4);
    }

    @Test
    void headTakesTheFirstImagesOrAllWhenFewer() {
        LabeledImages set = LabeledImages.of(images(3, 1, 2), labels(2, 1, 0), "set");

        assertThat(set.head(2).labels()).containsExactly(2, 1);
        assertThat(set.head(2).pixels()).containsExactly(0, 1, 2, 3);
        assertThat(set.head(2).numClasses()).isEqualTo(3);
        assertThat(set.head(10)).isEqualTo(set);
    }

    @Test
    void classCountsCountImagesPerLabel() {
        LabeledImages set = LabeledImages.of(images(6, 1, 1), labels(0, 2, 2, 0, 2, 3), "set");

        assertThat(set.classCounts()).containsExactly(2, 0, 3, 1);
    }

    @Test
    void imageAsFloatsScalesToUnitRange() {
        LabeledImages set = new LabeledImages(new byte[] {0, (byte) 255, 51, 102}, new byte[] {0, 1}, 1, 2, 2);
        float[] out = new float[3];

        set.imageAsFloats(1, out, 1);

        assertThat(out).containsExactly(new float[] {0f, 0.2f, 0.4f}, within(1e-6f));
    }
}
