package org.mnistpipeline.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Splits;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluator;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * The training loop: for each epoch, shuffle, augment, forward, loss, backward, update; then
 * score the validation split, keep the best weights, checkpoint, and stop early when validation
 * accuracy stops improving. The test set is never seen here.
 */
public final class Trainer {
    private static final int EVAL_BATCH = 1000;

    private final Engine engine;
    private final Device device;
    private final TrainingListener listener;

    public Trainer(Engine engine, Device device, TrainingListener listener) {
        this.engine = engine;
        this.device = device;
        this.listener = listener;
    }

    /**
     * Trains on {@code dataset.train()} (minus the validation split).
     *
     * @param runDir     where checkpoints and the metrics log go
     * @param resume     continue from the last checkpoint in {@code runDir} instead of starting over
     * @param warmStart  initial weights (fine-tuning), or null for a fresh initialisation
     */
    public TrainingResult train(Dataset dataset, Hyperparameters hp, Path runDir, boolean resume,
            Map<String, Tensor> warmStart) {
        LabeledImages all = hp.maxTrainImages() > 0 ? dataset.train().head(hp.maxTrainImages()) : dataset.train();
        Splits.TrainValidation split = Splits.trainValidation(all, Math.min(hp.validationSize(), all.size() / 5),
                hp.seed());
        LabeledImages train = split.train();
        int[] input = {1, train.rows(), train.cols()};
        ArchitectureSpec spec = hp.buildSpec(input, dataset.numClasses());
        Checkpoints checkpoints = new Checkpoints(runDir, hp, spec, dataset.fingerprint());

        engine.setRandomSeed((int) hp.seed());
        try (NDManager root = NDManager.newBaseManager(device)) {
            SequentialBlock net = NetworkBuilder.buildInitialized(spec, root);
            if (warmStart != null) {
                NetworkBuilder.importWeights(net, warmStart);
            }
            Optimizer optimizer = new Optimizer(hp, net, root);
            Checkpoints.State state = Checkpoints.State.fresh();
            if (resume) {
                state = checkpoints.restore(net, optimizer);
                listener.onMessage(state.epochsDone() == 0 ? "no checkpoint in " + runDir + "; starting from scratch"
                        : "resuming after epoch " + state.epochsDone() + " from " + runDir);
            } else {
                checkpoints.start();
            }
            ParameterStore parameters = new ParameterStore(root, false);
            int batchesPerEpoch = (train.size() + hp.batchSize() - 1) / hp.batchSize();
            long totalSteps = (long) batchesPerEpoch * hp.epochs();
            Augmenter augmenter = new Augmenter(hp.augmentation(), train.rows(), train.cols());
            double seconds = state.trainingSeconds();
            List<EpochMetrics> history = new ArrayList<>(state.history());
            int bestEpoch = state.bestEpoch();
            double bestAccuracy = state.bestValidationAccuracy();
            boolean stoppedEarly = false;

            for (int epoch = state.epochsDone() + 1; epoch <= hp.epochs(); epoch++) {
                if (hp.patience() > 0 && bestEpoch > 0 && epoch - 1 - bestEpoch >= hp.patience()) {
                    stoppedEarly = true;
                    listener.onMessage("early stop: validation accuracy has not improved for " + hp.patience()
                            + " epochs (best " + bestAccuracy + " at epoch " + bestEpoch + ")");
                    break;
                }
                // Reseed per epoch so a resumed run draws exactly what an uninterrupted one would.
                engine.setRandomSeed((int) (hp.seed() * 1_000 + epoch));
                long start = System.nanoTime();
                EpochStats stats = trainEpoch(net, parameters, optimizer, train, hp, augmenter, epoch, totalSteps);
                double epochSeconds = (System.nanoTime() - start) / 1e9;
                LossAndAccuracy validation = split.validation().size() == 0 ? new LossAndAccuracy(0, 0)
                        : lossAndAccuracy(net, parameters, root, split.validation());
                seconds += epochSeconds;
                EpochMetrics metrics = new EpochMetrics(epoch, stats.loss, stats.accuracy, validation.loss(),
                        validation.accuracy(),
                        stats.lastLearningRate, epochSeconds, train.size() / stats.stepSeconds);
                history.add(metrics);
                boolean improved = validation.accuracy() > bestAccuracy || bestEpoch == 0;
                if (improved) {
                    bestAccuracy = validation.accuracy();
                    bestEpoch = epoch;
                }
                checkpoints.save(net, optimizer, new Checkpoints.State(epoch, history, bestEpoch, bestAccuracy, seconds),
                        improved);
                listener.onEpoch(metrics);
            }
            List<Tensor> best = checkpoints.bestWeights();
            return new TrainingResult(spec, hp, best, List.copyOf(history), bestEpoch, bestAccuracy, stoppedEarly,
                    seconds, device.toString(), split);
        }
    }

    private record EpochStats(double loss, double accuracy, float lastLearningRate, double stepSeconds) {}

    private EpochStats trainEpoch(SequentialBlock net, ParameterStore parameters, Optimizer optimizer,
            LabeledImages train, Hyperparameters hp, Augmenter augmenter, int epoch, long totalSteps) {
        int n = train.size();
        int pixels = train.pixelsPerImage();
        int classes = train.numClasses();
        int[] order = Splits.permutation(n, hp.seed() * 7_919 + epoch);
        SplittableRandom random = new SplittableRandom(hp.seed() * 104_729 + epoch);
        float[] image = new float[pixels];
        float[] batch = new float[hp.batchSize() * pixels];
        float smoothing = hp.labelSmoothing();
        double lossSum = 0;
        long correct = 0;
        double computeSeconds = 0;
        float lr = 0;
        long startNanos = System.nanoTime();
        for (int from = 0; from < n; from += hp.batchSize()) {
            int size = Math.min(hp.batchSize(), n - from);
            float[] x = size == hp.batchSize() ? batch : new float[size * pixels];
            float[] target = new float[size * classes];
            int[] labels = new int[size];
            for (int i = 0; i < size; i++) {
                int index = order[from + i];
                if (hp.augmentation().enabled()) {
                    train.imageAsFloats(index, image, 0);
                    augmenter.apply(image, 0, x, i * pixels, random);
                } else {
                    train.imageAsFloats(index, x, i * pixels);
                }
                labels[i] = train.label(index);
                // Label smoothing: 1 - ε on the true class, ε spread evenly over all classes.
                for (int k = 0; k < classes; k++) {
                    target[i * classes + k] = smoothing / classes;
                }
                target[i * classes + labels[i]] += 1 - smoothing;
            }
            lr = LearningRates.at(hp.schedule(), hp.learningRate(), hp.warmupFraction(), optimizer.steps(), totalSteps);
            long t0 = System.nanoTime();
            try (NDManager step = parameters.getManager().newSubManager()) {
                NDArray input = step.create(x, new Shape(size, 1, train.rows(), train.cols()));
                NDArray targets = step.create(target, new Shape(size, classes));
                float[] logits;
                float loss;
                try (GradientCollector collector = engine.newGradientCollector()) {
                    NDArray out = net.forward(parameters, new NDList(input), true).singletonOrThrow();
                    NDArray lossArray = out.logSoftmax(1).mul(targets).sum(new int[] {1}).neg().mean();
                    collector.backward(lossArray);
                    logits = out.toFloatArray();
                    loss = lossArray.getFloat();
                }
                optimizer.step(lr);
                lossSum += loss * size;
                correct += countCorrect(logits, labels, classes);
            }
            computeSeconds += (System.nanoTime() - t0) / 1e9;
            int done = from + size;
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            listener.onBatch(epoch, hp.epochs(), done, n, lossSum / done, done / Math.max(1e-9, elapsed));
        }
        double wall = (System.nanoTime() - startNanos) / 1e9;
        return new EpochStats(lossSum / n, (double) correct / n, lr, wall);
    }

    private static int countCorrect(float[] logits, int[] labels, int classes) {
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (logits[i * classes + k] > logits[i * classes + best]) {
                    best = k;
                }
            }
            if (best == labels[i]) {
                correct++;
            }
        }
        return correct;
    }

    /** Mean cross-entropy and share predicted correctly on a set of images. */
    record LossAndAccuracy(double loss, double accuracy) {}

    /** Mean cross-entropy and accuracy in inference mode (no dropout, running batch-norm statistics). */
    static LossAndAccuracy lossAndAccuracy(SequentialBlock net, ParameterStore parameters, NDManager manager,
            LabeledImages images) {
        float[][] probabilities = Predictions.probabilities(net, parameters, manager, images, EVAL_BATCH);
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < images.size(); i++) {
            float[] p = probabilities[i];
            loss -= Math.log(Math.max(1e-7, p[images.label(i)]));
            if (Evaluator.argmax(p) == images.label(i)) {
                correct++;
            }
        }
        return new LossAndAccuracy(loss / images.size(), (double) correct / images.size());
    }
}
