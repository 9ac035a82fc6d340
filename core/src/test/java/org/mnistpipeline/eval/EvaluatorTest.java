package org.mnistpipeline.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
    private static final double EPS = 1e-6;

    /*
     * Six examples, three classes. Confidences avoid the 5-bin boundaries (0.2, 0.4, ...) because a
     * float such as 0.8f is slightly above 0.8 and would land in the next bin.
     *
     *   #  label  probabilities         predicted  confidence  correct
     *   0  0      [0.70, 0.20, 0.10]    0          0.70        yes
     *   1  0      [0.20, 0.50, 0.30]    1          0.50        no
     *   2  1      [0.10, 0.85, 0.05]    1          0.85        yes
     *   3  1      [0.25, 0.65, 0.10]    1          0.65        yes
     *   4  2      [0.05, 0.90, 0.05]    1          0.90        no
     *   5  2      [0.10, 0.15, 0.75]    2          0.75        yes
     */
    private static final int[] LABELS = {0, 0, 1, 1, 2, 2};
    private static final float[][] PROBS = {
            {0.70f, 0.20f, 0.10f},
            {0.20f, 0.50f, 0.30f},
            {0.10f, 0.85f, 0.05f},
            {0.25f, 0.65f, 0.10f},
            {0.05f, 0.90f, 0.05f},
            {0.10f, 0.15f, 0.75f},
    };

    private static Evaluation handExample() {
        return Evaluator.evaluate(LABELS, PROBS, 3, 5, 16);
    }

    @Test
    void accuracyCountsCorrectArgmaxPredictions() {
        Evaluation e = handExample();
        assertThat(e.count()).isEqualTo(6);
        assertThat(e.accuracy()).isCloseTo(4.0 / 6, within(EPS));
    }

    @Test
    void confusionIsIndexedActualThenPredicted() {
        assertThat(handExample().confusion()).isDeepEqualTo(new int[][] {
                {1, 1, 0},
                {0, 2, 0},
                {0, 1, 1},
        });
    }

    @Test
    void perClassPrecisionRecallF1MatchHandComputation() {
        List<Evaluation.ClassMetrics> perClass = handExample().perClass();
        assertThat(perClass).hasSize(3);
        // class 0: predicted once (correct) -> P 1; 1 of 2 found -> R 0.5; F1 = 2*1*0.5/1.5
        assertClass(perClass.get(0), 0, 1.0, 0.5, 2.0 / 3, 2);
        // class 1: predicted 4 times, 2 correct -> P 0.5; both found -> R 1; F1 = 2*0.5*1/1.5
        assertClass(perClass.get(1), 1, 0.5, 1.0, 2.0 / 3, 2);
        // class 2: predicted once (correct) -> P 1; 1 of 2 found -> R 0.5
        assertClass(perClass.get(2), 2, 1.0, 0.5, 2.0 / 3, 2);
    }

    @Test
    void logLossIsMeanNegativeLogOfTrueClassProbability() {
        double expected = -(Math.log(0.70) + Math.log(0.20) + Math.log(0.85) + Math.log(0.65) + Math.log(0.05)
                + Math.log(0.75)) / 6;
        assertThat(handExample().logLoss()).isCloseTo(expected, within(EPS));
    }

    @Test
    void expectedCalibrationErrorMatchesHandComputation() {
        // 5 bins. (0.4,0.6]: {0.50 wrong}             -> n 1, acc 0,   conf 0.5   -> gap 0.5
        //         (0.6,0.8]: {0.70, 0.65, 0.75 right} -> n 3, acc 1,   conf 0.7   -> gap 0.3
        //         (0.8,1.0]: {0.85 right, 0.90 wrong} -> n 2, acc 0.5, conf 0.875 -> gap 0.375
        // ECE = (1*0.5 + 3*0.3 + 2*0.375) / 6 = 2.15 / 6
        Evaluation e = handExample();
        assertThat(e.expectedCalibrationError()).isCloseTo(2.15 / 6, within(EPS));

        List<Evaluation.CalibrationBin> bins = e.calibration();
        assertThat(bins).hasSize(5);
        assertThat(bins).extracting(Evaluation.CalibrationBin::count).containsExactly(0, 0, 1, 3, 2);
        assertThat(bins.get(2).lower()).isCloseTo(0.4, within(EPS));
        assertThat(bins.get(2).upper()).isCloseTo(0.6, within(EPS));
        assertThat(bins.get(3).meanConfidence()).isCloseTo(0.7, within(EPS));
        assertThat(bins.get(3).accuracy()).isEqualTo(1.0);
        assertThat(bins.get(4).meanConfidence()).isCloseTo(0.875, within(EPS));
        assertThat(bins.get(4).accuracy()).isEqualTo(0.5);
    }

    @Test
    void emptyCalibrationBinsReportZerosNotNaN() {
        Evaluation.CalibrationBin empty = handExample().calibration().get(0);
        assertThat(empty.count()).isZero();
        assertThat(empty.meanConfidence()).isZero();
        assertThat(empty.accuracy()).isZero();
    }

    @Test
    void worstMistakesAreMostConfidentFirst() {
        assertThat(handExample().worst()).containsExactly(
                new Evaluation.Mistake(4, 2, 1, 0.9f),
                new Evaluation.Mistake(1, 0, 1, 0.5f));
    }

    @Test
    void worstMistakesAreCutToKAndTiesKeepIndexOrder() {
        int[] labels = {0, 0, 0, 0};
        float[][] probs = {{0.4f, 0.6f}, {0.2f, 0.8f}, {0.4f, 0.6f}, {0.3f, 0.7f}};
        Evaluation e = Evaluator.evaluate(labels, probs, 2, 10, 3);
        assertThat(e.worst()).extracting(Evaluation.Mistake::index).containsExactly(1, 3, 0);
    }

    @Test
    void defaultsUseFifteenBinsAndSixteenWorst() {
        int n = 40;
        int[] labels = new int[n];
        float[][] probs = new float[n][];
        for (int i = 0; i < n; i++) {
            labels[i] = 0;
            probs[i] = new float[] {0.1f, 0.9f}; // every example wrong
        }
        Evaluation e = Evaluator.evaluate(labels, probs, 2);
        assertThat(e.calibration()).hasSize(Evaluator.DEFAULT_BINS).hasSize(15);
        assertThat(e.worst()).hasSize(Evaluator.DEFAULT_WORST).hasSize(16);
        assertThat(e.calibration()).extracting(Evaluation.CalibrationBin::count)
                .containsOnlyOnce(n).contains(0);
    }

    @Test
    void classNeverPredictedHasZeroPrecisionAndF1NotNaN() {
        int[] labels = {0, 1, 2};
        float[][] probs = {{0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.6f, 0.3f, 0.1f}};
        Evaluation.ClassMetrics class2 = Evaluator.evaluate(labels, probs, 3).perClass().get(2);
        assertThat(class2.precision()).isZero();
        assertThat(class2.recall()).isZero();
        assertThat(class2.f1()).isZero();
        assertThat(class2.support()).isEqualTo(1);
    }

    @Test
    void classAbsentFromLabelsHasZeroRecallAndSupport() {
        int[] labels = {0, 0};
        float[][] probs = {{0.9f, 0.1f, 0f}, {0.2f, 0.1f, 0.7f}};
        Evaluation.ClassMetrics class2 = Evaluator.evaluate(labels, probs, 3).perClass().get(2);
        assertThat(class2.support()).isZero();
        assertThat(class2.recall()).isZero();
        assertThat(class2.precision()).isZero(); // predicted once, wrongly
        assertThat(class2.f1()).isZero();
    }

    @Test
    void perfectPredictionsHaveEceOfOneMinusMeanConfidence() {
        // Every bin's accuracy is 1, so each gap is 1 - its mean confidence, and the count-weighted
        // sum of those gaps is 1 - the overall mean confidence.
        int[] labels = {0, 1, 2, 0};
        float[][] probs = {{0.9f, 0.05f, 0.05f}, {0.2f, 0.7f, 0.1f}, {0.1f, 0.1f, 0.8f}, {0.55f, 0.25f, 0.2f}};
        Evaluation e = Evaluator.evaluate(labels, probs, 3);
        double meanConfidence = ((double) 0.9f + 0.7f + 0.8f + 0.55f) / 4;
        assertThat(e.accuracy()).isEqualTo(1.0);
        assertThat(e.expectedCalibrationError()).isCloseTo(1 - meanConfidence, within(EPS));
        assertThat(e.worst()).isEmpty();
        assertThat(e.perClass()).allSatisfy(c -> assertThat(c.f1()).isEqualTo(1.0));
    }

    @Test
    void certainCorrectPredictionsAreCalibratedWithNearZeroLoss() {
        int[] labels = {1, 0};
        float[][] probs = {{0f, 1f}, {1f, 0f}};
        Evaluation e = Evaluator.evaluate(labels, probs, 2);
        assertThat(e.expectedCalibrationError()).isZero();
        assertThat(e.logLoss()).isCloseTo(0, within(EPS));
    }

    @Test
    void zeroProbabilityForTrueClassIsClippedToFiniteLoss() {
        Evaluation e = Evaluator.evaluate(new int[] {0}, new float[][] {{0f, 1f}}, 2);
        assertThat(e.logLoss()).isCloseTo(-Math.log(Evaluator.LOG_LOSS_EPSILON), within(EPS));
    }

    @Test
    void tiedProbabilitiesPredictTheLowestClass() {
        Evaluation e = Evaluator.evaluate(new int[] {1}, new float[][] {{0.5f, 0.5f}}, 2);
        assertThat(e.confusion()[1][0]).isEqualTo(1);
    }

    @Test
    void rejectsMismatchedLengths() {
        assertThatThrownBy(() -> Evaluator.evaluate(new int[] {0, 1}, new float[][] {{1f, 0f}}, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 labels but 1 probability rows");
    }

    @Test
    void rejectsRowOfWrongWidth() {
        assertThatThrownBy(() -> Evaluator.evaluate(new int[] {0}, new float[][] {{0.5f, 0.25f, 0.25f}}, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("example 0").hasMessageContaining("expected 2 probabilities, got 3");
    }

    @Test
    void rejectsRowsThatDoNotSumToOne() {
        assertThatThrownBy(() -> Evaluator.evaluate(new int[] {0, 0}, new float[][] {{1f, 0f}, {2f, 3f}}, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("example 1").hasMessageContaining("sum to 5");
    }

    @Test
    void acceptsRowsWithinTheSumTolerance() {
        Evaluation e = Evaluator.evaluate(new int[] {0}, new float[][] {{0.6005f, 0.4f}}, 2);
        assertThat(e.accuracy()).isEqualTo(1.0);
    }

    @Test
    void rejectsLabelsOutOfRange() {
        assertThatThrownBy(() -> Evaluator.evaluate(new int[] {2}, new float[][] {{1f, 0f}}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 2 outside [0, 2)");
        assertThatThrownBy(() -> Evaluator.evaluate(new int[] {-1}, new float[][] {{1f, 0f}}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label -1");
    }

    @Test
    void rejectsNegativeOrNaNProbabilities() {
        assertThatThrownBy(() -> Evaluator.evaluate(new int[] {0}, new float[][] {{1.5f, -0.5f}}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("class 1 is -0.5");
        assertThatThrownBy(() -> Evaluator.evaluate(new int[] {0}, new float[][] {{Float.NaN, 1f}}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
    }

    @Test
    void rejectsEmptyInputAndBadSettings() {
        assertThatThrownBy(() -> Evaluator.evaluate(new int[0], new float[0][], 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no examples");
        assertThatThrownBy(() -> Evaluator.evaluate(LABELS, PROBS, 3, 0, 16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bins");
        assertThatThrownBy(() -> Evaluator.evaluate(LABELS, PROBS, 3, 15, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("worst");
    }

    @Test
    void softmaxSumsToOneAndKeepsOrder() {
        float[] p = Evaluator.softmax(new float[] {1f, 2f, 3f});
        double e1 = Math.exp(1), e2 = Math.exp(2), e3 = Math.exp(3), sum = e1 + e2 + e3;
        assertThat((double) p[0]).isCloseTo(e1 / sum, within(EPS));
        assertThat((double) p[1]).isCloseTo(e2 / sum, within(EPS));
        assertThat((double) p[2]).isCloseTo(e3 / sum, within(EPS));
    }

    @Test
    void softmaxIsStableForHugeLogits() {
        float[] big = Evaluator.softmax(new float[] {1000f, 1001f, 999f});
        float[] small = Evaluator.softmax(new float[] {1f, 2f, 0f});
        for (int i = 0; i < 3; i++) {
            assertThat(big[i]).isFinite();
            assertThat((double) big[i]).isCloseTo(small[i], within(EPS));
        }
        float[] negative = Evaluator.softmax(new float[] {-1000f, -1000f});
        assertThat(negative).containsExactly(0.5f, 0.5f);
    }

    @Test
    void softmaxGivesNegativeInfinityZeroProbability() {
        assertThat(Evaluator.softmax(new float[] {0f, Float.NEGATIVE_INFINITY})).containsExactly(1f, 0f);
    }

    @Test
    void softmaxOutputIsAcceptedByEvaluate() {
        float[][] probs = {Evaluator.softmax(new float[] {3f, -1f, 0.5f})};
        assertThat(Evaluator.evaluate(new int[] {0}, probs, 3).accuracy()).isEqualTo(1.0);
    }

    @Test
    void softmaxRejectsNaNAndEmpty() {
        assertThatThrownBy(() -> Evaluator.softmax(new float[] {Float.NaN, 1f}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Evaluator.softmax(new float[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Evaluator.softmax(new float[] {Float.NEGATIVE_INFINITY}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertClass(Evaluation.ClassMetrics m, int label, double precision, double recall,
            double f1, int support) {
        assertThat(m.label()).isEqualTo(label);
        assertThat(m.precision()).as("precision of %d", label).isCloseTo(precision, within(EPS));
        assertThat(m.recall()).as("recall of %d", label).isCloseTo(recall, within(EPS));
        assertThat(m.f1()).as("F1 of %d", label).isCloseTo(f1, within(EPS));
        assertThat(m.support()).isEqualTo(support);
    }
}
