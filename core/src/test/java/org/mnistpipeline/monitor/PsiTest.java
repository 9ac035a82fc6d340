package org.mnistpipeline.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PsiTest {

    @Test
    void matchesHandComputedValues() {
        // (0.7 - 0.5) ln(0.7 / 0.5) + (0.3 - 0.5) ln(0.3 / 0.5) = 0.2 * 0.336472 + 0.2 * 0.510826
        assertThat(Psi.compute(new double[] {0.5, 0.5}, new double[] {0.7, 0.3})).isCloseTo(0.169460, within(1e-6));
        // Counts are normalised first: 25/75 against 50/50.
        // (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5) = 0.25 * 0.693147 + 0.25 * 0.405465
        assertThat(Psi.compute(new long[] {50, 50}, new long[] {25, 75})).isCloseTo(0.274653, within(1e-6));
        // Three bins: 0.2/0.3/0.5 -> 0.3/0.3/0.4
        double expected = 0.1 * Math.log(1.5) + 0 - 0.1 * Math.log(0.8);
        assertThat(Psi.compute(new double[] {2, 3, 5}, new double[] {3, 3, 4})).isCloseTo(expected, within(1e-12));
    }

    @Test
    void isZeroForIdenticalAndSymmetricOtherwise() {
        double[] a = {1, 2, 3, 4};
        double[] b = {4, 3, 2, 1};
        assertThat(Psi.compute(a, a)).isEqualTo(0.0);
        assertThat(Psi.compute(a, b)).isCloseTo(Psi.compute(b, a), within(1e-12)).isPositive();
    }

    @Test
    void emptyBinsAreFlooredAtEpsilonInsteadOfInfinite() {
        // expected 1/0, actual 0.99/0.01: (0.99 - 1) ln(0.99) + (0.01 - 1e-4) ln(0.01 / 1e-4)
        double value = Psi.compute(new double[] {1, 0}, new double[] {99, 1});
        double hand = (0.99 - 1) * Math.log(0.99) + (0.01 - 1e-4) * Math.log(0.01 / 1e-4);
        assertThat(value).isFinite().isCloseTo(hand, within(1e-12));
    }

    @Test
    void mismatchedOrEmptyHistogramsAreRejected() {
        assertThatThrownBy(() -> Psi.compute(new double[] {1, 2}, new double[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same bins, got 2 and 3");
        assertThatThrownBy(() -> Psi.compute(new double[] {1, 2}, new double[] {0, 0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actual histogram is empty");
        assertThatThrownBy(() -> Psi.compute(new double[] {1, -2}, new double[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }
}
