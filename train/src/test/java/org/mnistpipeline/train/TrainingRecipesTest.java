package org.mnistpipeline.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.Hyperparameters.Optimizer;
import org.mnistpipeline.model.Hyperparameters.Schedule;

/**
 * The recipe choices TrainerTest leaves out (it trains the small network with AdamW only): the
 * strong network with dropout and augmentation, SGD with momentum, and early stopping. Each a few
 * epochs on a few thousand real MNIST images, so they show the code path learns, not how well.
 */
class TrainingRecipesTest {
    private final Trainer trainer = new Trainer(Mnist.engine(), Device.cpu(), new TrainingListener() {});
    private final ModelPackager packager = new ModelPackager(Mnist.engine(), Device.cpu());

    @Test
    void strongNetworkWithDropoutAndAugmentationLearnsOnARealSubset(@TempDir Path run) {
        Dataset data = Mnist.subset(3000, 1000);
        Hyperparameters hp = new Hyperparameters("strong", 0.5f, 0.3f, 2, 64, Optimizer.ADAMW, 3e-3f, 1e-4f, 0.9f,
                Schedule.ONECYCLE, 0.2f, 0.05f, Augmentation.ofStrength(1f), 0, 500, 0, 3L);

        TrainingResult result = trainer.train(data, hp, run, false, null);

        assertThat(result.spec().name()).isEqualTo("strong");
        assertThat(result.history()).hasSize(2);
        // Ten classes: a guess scores 10 %; a network that learns passes 80 % after two short epochs.
        double accuracy = packager.evaluate(result.spec(), result.weights(), data.test()).accuracy();
        System.out.println("strong, 2 epochs on 2,500 images: test accuracy " + accuracy);
        assertThat(accuracy).isGreaterThan(0.8);
    }

    @Test
    void sgdWithMomentumLearnsOnARealSubset(@TempDir Path run) {
        Dataset data = Mnist.subset(3500, 1000);
        Hyperparameters hp = new Hyperparameters("small", 1f, 0f, 2, 64, Optimizer.SGD, 0.05f, 1e-4f, 0.9f,
                Schedule.COSINE, 0.1f, 0f, Augmentation.none(), 0, 500, 0, 5L);

        TrainingResult result = trainer.train(data, hp, run, false, null);

        assertThat(result.history().getLast().trainLoss()).isLessThan(result.history().getFirst().trainLoss());
        double accuracy = packager.evaluate(result.spec(), result.weights(), data.test()).accuracy();
        System.out.println("SGD, 2 epochs on 3,000 images: test accuracy " + accuracy);
        assertThat(accuracy).isGreaterThan(0.8);
    }

    @Test
    void earlyStoppingEndsTheRunPatienceEpochsAfterTheBestAndKeepsTheBestWeights(@TempDir Path run) {
        Dataset data = Mnist.subset(1000, 200);
        int patience = 1;
        Hyperparameters hp = new Hyperparameters("small", 1f, 0f, 20, 64, Optimizer.ADAMW, 5e-3f, 1e-4f, 0.9f,
                Schedule.CONSTANT, 0f, 0f, Augmentation.none(), patience, 200, 0, 11L);

        TrainingResult result = trainer.train(data, hp, run, false, null);

        List<EpochMetrics> history = result.history();
        System.out.println("early stopping: " + history.size() + " epochs, best " + result.bestEpoch());
        assertThat(result.stoppedEarly()).isTrue();
        assertThat(history.size()).isLessThan(20).isEqualTo(result.bestEpoch() + patience);
        double best = history.stream().mapToDouble(EpochMetrics::validationAccuracy).max().orElseThrow();
        assertThat(result.bestValidationAccuracy()).isEqualTo(best);
        assertThat(history.get(result.bestEpoch() - 1).validationAccuracy()).isEqualTo(best);
        // The weights handed back are the best epoch's, not the last one's: they score its accuracy.
        assertThat(packager.evaluate(result.spec(), result.weights(), result.split().validation()).accuracy())
                .isCloseTo(best, Offset.offset(1.0 / 200));
    }
}
