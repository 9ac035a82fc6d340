package org.mnistpipeline.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;

/**
 * Random search over learning rate, batch size, dropout, width and augmentation strength. Each
 * trial is a short run scored on the validation split (never the test set); the winner keeps the
 * base recipe's full epoch budget so it can be reused as a preset for a real training run.
 */
public final class Tuner {
    private static final int[] BATCH_SIZES = {64, 128, 256};
    private static final float[] WIDTHS = {0.5f, 0.75f, 1f, 1.5f};

    /** One trial: what was tried and how it scored. */
    public record Trial(int number, Hyperparameters hyperparameters, double validationAccuracy, double seconds) {}

    /** How to search. */
    public record Budget(int trials, int epochsPerTrial, int imagesPerTrial, long seed) {
        public Budget {
            if (trials < 1 || epochsPerTrial < 1 || imagesPerTrial < 100) {
                throw new IllegalArgumentException("need at least 1 trial of 1 epoch on 100 images");
            }
        }
    }

    private final Trainer trainer;

    public Tuner(Trainer trainer) {
        this.trainer = trainer;
    }

    /** Runs the search; trials come back best first. */
    public List<Trial> search(Dataset dataset, Hyperparameters base, Budget budget, Path workDir,
            java.util.function.Consumer<Trial> onTrial) {
        SplittableRandom random = new SplittableRandom(budget.seed());
        List<Trial> trials = new ArrayList<>();
        for (int i = 1; i <= budget.trials(); i++) {
            Hyperparameters candidate = sample(base, random, budget);
            long start = System.nanoTime();
            TrainingResult result = trainer.train(dataset, candidate, workDir.resolve(String.format("trial-%03d", i)),
                    false, null);
            Trial trial = new Trial(i, candidate, result.bestValidationAccuracy(), (System.nanoTime() - start) / 1e9);
            trials.add(trial);
            onTrial.accept(trial);
        }
        trials.sort(Comparator.comparingDouble(Trial::validationAccuracy).reversed());
        return trials;
    }

    /** The winning trial's settings with the base run's full budget, ready to save as a preset. */
    public static Hyperparameters asPreset(Trial best, Hyperparameters base) {
        Hyperparameters hp = best.hyperparameters();
        return new Hyperparameters(hp.architecture(), hp.width(), hp.dropout(), base.epochs(), hp.batchSize(),
                hp.optimizer(), hp.learningRate(), hp.weightDecay(), hp.momentum(), hp.schedule(), hp.warmupFraction(),
                hp.labelSmoothing(), hp.augmentation(), base.patience(), base.validationSize(), base.maxTrainImages(),
                base.seed());
    }

    static Hyperparameters sample(Hyperparameters base, SplittableRandom random, Budget budget) {
        // Log-uniform learning rate around the usual range for AdamW (SGD gets a 10x higher range).
        double low = Math.log(base.optimizer() == Hyperparameters.Optimizer.SGD ? 5e-3 : 5e-4);
        double high = Math.log(base.optimizer() == Hyperparameters.Optimizer.SGD ? 1e-1 : 1e-2);
        float lr = (float) Math.exp(low + random.nextDouble() * (high - low));
        int batch = BATCH_SIZES[random.nextInt(BATCH_SIZES.length)];
        float dropout = Math.round(random.nextDouble() * 50) / 100f;
        float width = WIDTHS[random.nextInt(WIDTHS.length)];
        float strength = Math.round(random.nextDouble() * 15) / 10f;
        return new Hyperparameters(base.architecture(), width, dropout, budget.epochsPerTrial(), batch,
                base.optimizer(), lr, base.weightDecay(), base.momentum(), base.schedule(), base.warmupFraction(),
                base.labelSmoothing(), Augmentation.ofStrength(strength), 0, base.validationSize(),
                budget.imagesPerTrial(), base.seed());
    }
}
