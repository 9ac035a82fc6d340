package org.mnistpipeline.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.io.Locations;

class ShiftsTest {
    private static LabeledImages digits;

    /** The first 200 real MNIST test digits, fetched beforehand by `./mnist data fetch`. */
    @BeforeAll
    static void loadDigits() {
        digits = IdxDirectory.loadTest(Locations.fromEnvironment().dataDir()).head(200);
    }

    private static double meanInk(LabeledImages images) {
        long sum = 0;
        for (byte b : images.pixels()) {
            sum += b & 0xff;
        }
        return (double) sum / images.size();
    }

    private static int inkWidth(LabeledImages images, int index) {
        int min = Integer.MAX_VALUE;
        int max = -1;
        for (int y = 0; y < images.rows(); y++) {
            for (int x = 0; x < images.cols(); x++) {
                if ((images.pixels()[index * images.pixelsPerImage() + y * images.cols() + x] & 0xff) > 127) {
                    min = Math.min(min, x);
                    max = Math.max(max, x);
                }
            }
        }
        return max - min + 1;
    }

    @Test
    void sameSpecAndSeedGiveTheSameImages() {
        for (String spec : new String[] {"thick", "slant:15", "noise:0.2", "thick+slant:12", "invert+noise"}) {
            assertThat(Shifts.apply(digits, spec, 7)).as(spec).isEqualTo(Shifts.apply(digits, spec, 7));
        }
        assertThat(Shifts.apply(digits, "noise:0.2", 7)).isNotEqualTo(Shifts.apply(digits, "noise:0.2", 8));
    }

    @Test
    void labelsAndInputAreUntouched() {
        byte[] before = digits.pixels().clone();
        LabeledImages shifted = Shifts.apply(digits, "thick+slant:12+noise:0.1", 1);

        assertThat(shifted.labels()).isEqualTo(digits.labels());
        assertThat(shifted.size()).isEqualTo(digits.size());
        assertThat(digits.pixels()).isEqualTo(before);
        assertThat(shifted.pixels()).isNotEqualTo(before);
    }

    @Test
    void thickenAddsInkAndNeverRemovesAny() {
        LabeledImages thick = Shifts.thicken(digits, 1);

        assertThat(meanInk(thick)).isGreaterThan(1.4 * meanInk(digits));
        for (int i = 0; i < digits.pixels().length; i++) {
            assertThat(thick.pixels()[i] & 0xff).isGreaterThanOrEqualTo(digits.pixels()[i] & 0xff);
        }
        assertThat(Shifts.thicken(digits, 0)).isEqualTo(digits);
        assertThat(meanInk(Shifts.thicken(digits, 2))).isGreaterThan(meanInk(thick));
    }

    @Test
    void slantShearsRowsButKeepsTheInk() {
        LabeledImages slanted = Shifts.slant(digits, 20);

        assertThat(Shifts.slant(digits, 0)).isEqualTo(digits);
        // Shear moves ink sideways along rows; bilinear sampling of a shift keeps the row sums
        // except for ink pushed past the border and rounding.
        assertThat(meanInk(slanted)).isCloseTo(meanInk(digits), within(0.03 * meanInk(digits)));
        // A digit "1" (test image 2) is a near-vertical bar: slanting it makes it wider.
        assertThat(digits.label(2)).isEqualTo(1);
        assertThat(inkWidth(slanted, 2)).isGreaterThan(inkWidth(digits, 2) + 3);
        // The top row moves right for a positive angle: ink's mean x in the top half grows.
        assertThat(topHalfMeanX(slanted)).isGreaterThan(topHalfMeanX(digits) + 1);
    }

    private static double topHalfMeanX(LabeledImages images) {
        double weighted = 0;
        double ink = 0;
        for (int i = 0; i < images.size(); i++) {
            for (int y = 0; y < images.rows() / 2 - 4; y++) {
                for (int x = 0; x < images.cols(); x++) {
                    int v = images.pixels()[i * images.pixelsPerImage() + y * images.cols() + x] & 0xff;
                    weighted += v * x;
                    ink += v;
                }
            }
        }
        return weighted / ink;
    }

    @Test
    void noiseStaysInRangeAndHasTheRequestedSpread() {
        LabeledImages noisy = Shifts.noise(digits, 0.1, 3);

        // On paper pixels far from 0 and 255 clamping does not bite above zero: look at the
        // spread of pixels that were mid-grey.
        double sumSq = 0;
        int n = 0;
        for (int i = 0; i < digits.pixels().length; i++) {
            int before = digits.pixels()[i] & 0xff;
            if (before > 80 && before < 175) {
                double d = (noisy.pixels()[i] & 0xff) - before;
                sumSq += d * d;
                n++;
            }
        }
        assertThat(n).isGreaterThan(1000);
        assertThat(Math.sqrt(sumSq / n)).isCloseTo(25.5, within(2.0));
        assertThat(Shifts.noise(digits, 0, 3)).isEqualTo(digits);
    }

    @Test
    void invertTwiceIsTheIdentityAndNoneChangesNothing() {
        assertThat(Shifts.apply(digits, "invert+invert", 0)).isEqualTo(digits);
        assertThat(Shifts.apply(digits, "none", 0)).isEqualTo(digits);
        assertThat(meanInk(Shifts.invert(digits))).isCloseTo(784 * 255 - meanInk(digits), within(1e-6));
    }

    @Test
    void specTermsMatchTheNamedMethods() {
        assertThat(Shifts.apply(digits, "thick", 0)).isEqualTo(Shifts.thicken(digits, 1));
        assertThat(Shifts.apply(digits, " Thick:2 + SLANT:-10 ", 0))
                .isEqualTo(Shifts.slant(Shifts.thicken(digits, 2), -10));
        assertThat(Shifts.apply(digits, "slant", 0)).isEqualTo(Shifts.slant(digits, 15));
    }

    @Test
    void badSpecsAreRejectedWithTheirReason() {
        assertThatThrownBy(() -> Shifts.apply(digits, "blur", 0)).isInstanceOf(DataException.class)
                .hasMessageContaining("unknown shift 'blur'").hasMessageContaining("thick[:radius]");
        assertThatThrownBy(() -> Shifts.apply(digits, "slant:abc", 0)).isInstanceOf(DataException.class)
                .hasMessageContaining("'abc'").hasMessageContaining("not a number");
        assertThatThrownBy(() -> Shifts.apply(digits, "noise:2", 0)).isInstanceOf(DataException.class)
                .hasMessageContaining("noise sigma must be in 0..1");
        assertThatThrownBy(() -> Shifts.apply(digits, "thick:1.5", 0)).isInstanceOf(DataException.class)
                .hasMessageContaining("not an integer");
        assertThatThrownBy(() -> Shifts.apply(digits, "invert:3", 0)).isInstanceOf(DataException.class)
                .hasMessageContaining("takes no amount");
        assertThatThrownBy(() -> Shifts.apply(digits, " ", 0)).isInstanceOf(DataException.class)
                .hasMessageContaining("empty shift spec");
    }
}
