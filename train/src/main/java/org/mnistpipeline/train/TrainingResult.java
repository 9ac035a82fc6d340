package org.mnistpipeline.train;

import java.util.List;
import org.mnistpipeline.data.Splits;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * The outcome of a training run.
 *
 * @param weights          the weights of the best epoch by validation accuracy
 * @param history          one entry per epoch trained, resumed epochs included
 * @param bestEpoch        the epoch whose weights were kept
 * @param stoppedEarly     true when early stopping ended the run before {@code hp.epochs()}
 * @param trainingSeconds  wall time spent training, summed over resumed segments
 * @param split            the train and validation images used
 */
public record TrainingResult(
        ArchitectureSpec spec,
        Hyperparameters hyperparameters,
        List<Tensor> weights,
        List<EpochMetrics> history,
        int bestEpoch,
        double bestValidationAccuracy,
        boolean stoppedEarly,
        double trainingSeconds,
        String device,
        Splits.TrainValidation split) {}
