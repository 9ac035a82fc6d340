package org.mnistpipeline.pipeline.aws;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;

/**
 * The contract between the pipeline and a SageMaker training job running {@code mnist sagemaker-train}, and
 * where the pipeline keeps what SageMaker reads and writes under MNIST_HOME. The pipeline computes the
 * training plan once ({@code TrainingPlan}) and hands it over as:
 *
 * <ul>
 *   <li>channel {@value #TRAIN}: the plan's training set (new batches plus replay sample, shuffled) and
 *       test set as IDX files, and {@value #PLAN} ({@link ChannelPlan}: mode, parent, data identity);</li>
 *   <li>channel {@value #CHAMPION}: the champion's model package, whose weights an incremental plan starts
 *       from;</li>
 *   <li>hyperparameters: the plan's recipe as {@code mnist train}'s flags without dashes
 *       ({@link #hyperparameters}), which {@code sagemaker-train} parses back into exactly the same
 *       recipe.</li>
 * </ul>
 *
 * The job writes the training artefact to {@code /opt/ml/model}, which SageMaker stores as
 * {@code <output>/<job>/output/model.tar.gz}.
 */
public final class TrainingJobs {
    /** Channel holding the training and test images and {@value #PLAN}. */
    public static final String TRAIN = "train";
    /** Channel holding the champion's model package. */
    public static final String CHAMPION = "champion";
    /** The plan's description of its data, in the {@value #TRAIN} channel. */
    public static final String PLAN = "plan.json";
    /** Under MNIST_HOME: one folder per job with its channels; SageMaker's output path, so also its output. */
    public static final String JOBS = "sagemaker/jobs";
    /** Under MNIST_HOME: one folder of checkpoints per job (kept across spot interruptions). */
    public static final String CHECKPOINTS = "sagemaker/checkpoints";
    /** Under MNIST_HOME: one {@code model.tar.gz} per released version, what the endpoint serves. */
    public static final String MODELS = "sagemaker/models";
    /** SageMaker names (jobs, models, endpoint configs): at most this long, {@code [a-zA-Z0-9-]}. */
    public static final int MAX_NAME = 63;

    private static final RandomGenerator RANDOM = new SecureRandom();

    private TrainingJobs() {}

    /**
     * What the training job must know about its data beyond the images: the plan's mode, the champion it
     * starts from, and the identity the artefact records (so it equals what the train step would record).
     */
    public record ChannelPlan(Mode mode, String parent, String source, DataFingerprint fingerprint, int numClasses) {}

    /**
     * A name SageMaker accepts and no earlier call returned: {@code mnist-<kind>-<run>-<8 hex>}, lower case,
     * {@code [a-z0-9-]}, at most {@value #MAX_NAME} characters. The run id (a Step Functions execution name, which
     * may hold {@code _}, {@code .} and more) is sanitised and shortened; the random tail makes every attempt's
     * name new, so the fallback's second training job, a retried state and a redriven execution never collide.
     */
    public static String uniqueName(String kind, String runId) {
        String tail = HexFormat.of().toHexDigits(RANDOM.nextInt());
        String head = "mnist-" + sanitise(kind) + "-";
        String run = sanitise(runId);
        int room = MAX_NAME - head.length() - 1 - tail.length();
        if (room < 1) {
            throw new IllegalArgumentException("kind '" + kind + "' leaves no room for the run in a SageMaker name");
        }
        if (run.length() > room) {
            run = run.substring(0, room).replaceAll("-+$", "");
        }
        return head + (run.isEmpty() ? "run" : run) + "-" + tail;
    }

    /** Lower case, every run of characters outside {@code [a-z0-9]} one {@code -}, none at either end. */
    static String sanitise(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    }

    /**
     * {@code hp} as SageMaker hyperparameters: {@code mnist train}'s flag names without the dashes, values as
     * strings (floats in their shortest exact form), every field of the recipe given, so nothing is left to a
     * preset. Augmentation goes as its one-knob strength, the only form the flags take; a recipe whose
     * augmentation is not of that family is refused rather than approximated.
     */
    public static Map<String, String> hyperparameters(Hyperparameters hp) {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("architecture", hp.architecture());
        map.put("width", Float.toString(hp.width()));
        map.put("dropout", Float.toString(hp.dropout()));
        map.put("epochs", Integer.toString(hp.epochs()));
        map.put("batch-size", Integer.toString(hp.batchSize()));
        map.put("optimizer", hp.optimizer().name().toLowerCase(Locale.ROOT));
        map.put("lr", Float.toString(hp.learningRate()));
        map.put("weight-decay", Float.toString(hp.weightDecay()));
        map.put("momentum", Float.toString(hp.momentum()));
        map.put("schedule", hp.schedule().name().toLowerCase(Locale.ROOT));
        map.put("warmup", Float.toString(hp.warmupFraction()));
        map.put("label-smoothing", Float.toString(hp.labelSmoothing()));
        map.put("augment", Float.toString(strength(hp.augmentation())));
        map.put("patience", Integer.toString(hp.patience()));
        map.put("validation-size", Integer.toString(hp.validationSize()));
        map.put("max-train-images", Integer.toString(hp.maxTrainImages()));
        map.put("seed", Long.toString(hp.seed()));
        return map;
    }

    /** The strength {@code s} with {@code Augmentation.ofStrength(s)} equal to {@code a}, to the last bit. */
    static float strength(Augmentation a) {
        float guess = a.rotationDegrees() / 10f;
        for (float s : new float[] {guess, Math.nextUp(guess), Math.nextDown(guess), a.shiftPixels() / 2f,
                a.scale() / 0.1f}) {
            if (Augmentation.ofStrength(s).equals(a)) {
                return s;
            }
        }
        throw new IllegalArgumentException("augmentation " + a + " is not of the one-knob family (10°, 2 px, 10 %"
                + " per unit of strength) that a training job's hyperparameters can carry");
    }
}
