package org.mnistpipeline.data;

import java.util.Random;

/** Seeded, reproducible splits. The test set is never split: it is kept for the final report. */
public final class Splits {
    private Splits() {}

    /** Training images and a validation set carved from them, for model selection and early stopping. */
    public record TrainValidation(LabeledImages train, LabeledImages validation) {}

    public static TrainValidation trainValidation(LabeledImages all, int validationSize, long seed) {
        if (validationSize < 0 || validationSize >= all.size()) {
            throw new DataException("validation size " + validationSize + " must be in [0, " + all.size() + ")");
        }
        int[] order = permutation(all.size(), seed);
        int[] validation = java.util.Arrays.copyOfRange(order, 0, validationSize);
        int[] train = java.util.Arrays.copyOfRange(order, validationSize, order.length);
        // Keep the original order inside each part: shuffling is the trainer's job, per epoch.
        java.util.Arrays.sort(validation);
        java.util.Arrays.sort(train);
        return new TrainValidation(all.select(train), all.select(validation));
    }

    /** A Fisher–Yates permutation of {@code 0..n-1} from {@code seed}. */
    public static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
