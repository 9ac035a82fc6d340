package org.mnistpipeline.train;

import org.mnistpipeline.model.Hyperparameters;

/** Learning rate as a function of the optimiser step, for the schedules the project offers. */
final class LearningRates {
    private LearningRates() {}

    /**
     * The rate at {@code step} (0-based) of {@code totalSteps}.
     * <ul>
     *   <li>one-cycle: linear warm-up from peak/25 to the peak, then cosine down to peak/10⁴;</li>
     *   <li>cosine: linear warm-up from 0, then cosine to 0;</li>
     *   <li>constant: the peak throughout.</li>
     * </ul>
     */
    static float at(Hyperparameters.Schedule schedule, float peak, float warmupFraction, long step, long totalSteps) {
        long warmup = Math.round(warmupFraction * totalSteps);
        double progress;
        switch (schedule) {
            case CONSTANT:
                return peak;
            case ONECYCLE:
                if (step < warmup) {
                    double start = peak / 25.0;
                    return (float) (start + (peak - start) * step / Math.max(1, warmup));
                }
                progress = (double) (step - warmup) / Math.max(1, totalSteps - warmup);
                double floor = peak / 1e4;
                return (float) (floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
            case COSINE:
            default:
                if (step < warmup) {
                    return (float) (peak * (step + 1) / Math.max(1, warmup));
                }
                progress = (double) (step - warmup) / Math.max(1, totalSteps - warmup);
                return (float) (peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
        }
    }
}
