package org.mnistpipeline.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.aws.TrainingJobs;
import org.mnistpipeline.pipeline.aws.TrainingJobs.ChannelPlan;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.release.EvaluatedModel;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.train.ConsoleProgress;
import org.mnistpipeline.train.DjlTraining;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.training.TrainingArtifact;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * The {@code train} entry of the container, following SageMaker's training contract:
 * hyperparameters from {@code /opt/ml/input/config/hyperparameters.json} (all values are strings;
 * keys are this CLI's training flags without the dashes, e.g. {@code "epochs": "12"}), data from
 * the {@code train} channel (and optionally {@code test}) under {@code /opt/ml/input/data}, the
 * model package (released by the {@link ReleaseService}, as {@code mnist train} releases: scored in
 * ONNX Runtime, with its report, {@code model.onnx} and baseline) written and sealed in
 * {@code /opt/ml/model} for the serving container, checkpoints and the training artefact in {@code /opt/ml/checkpoints} (resumed
 * automatically, as managed spot training needs), and on failure the reason in
 * {@code /opt/ml/output/failure} with a non-zero exit. A retraining pipeline's job (a {@code plan.json} in the
 * train channel, a {@code champion} channel) trains the staged plan and leaves the training artefact instead
 * ({@link TrainingJobs}). SIGTERM (a stopped job, a spot interruption)
 * stops training at its next step, keeping the last epoch's checkpoint, and exits with 143; a restart
 * resumes from that checkpoint.
 */
@Command(name = "sagemaker-train", mixinStandardHelpOptions = true,
        description = "Train as a SageMaker training job (the container's `train` entry point).")
final class SageMakerTrainCommand extends MnistSubcommand {
    @Option(names = "--opt-ml", defaultValue = "/opt/ml", description = "SageMaker's directory tree (default: ${DEFAULT-VALUE}).")
    Path optMl;

    /** Parses hyperparameters.json through the same flags as `mnist train`. */
    @Command(name = "hyperparameters")
    static final class Flags {
        @Mixin
        HyperparameterOptions options;
    }

    /** 128 + SIGTERM, as a shell reports a process that SIGTERM ended: stopped, not failed. */
    static final int STOPPED = 143;

    /** Set by SIGTERM; the training loop checks it at every step. */
    private final AtomicBoolean stopRequested = new AtomicBoolean();

    @Override
    public Integer call() {
        Context context = root.context;
        stopOnSigterm();
        try {
            run(context);
            return 0;
        } catch (TrainingStopped e) {
            // Not a failure: no failure file, so SageMaker reports the job as stopped, not failed.
            context.err.println("mnist: training stopped by SIGTERM " + e.getMessage());
            return STOPPED;
        } catch (RuntimeException e) {
            String reason = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
            writeFailure(reason, e);
            context.err.println("mnist: training failed: " + reason);
            return ExitCodes.of(e);
        }
    }

    private void run(Context context) {
        Hyperparameters hp = hyperparameters(optMl.resolve("input/config/hyperparameters.json"));
        Path plan = optMl.resolve("input/data").resolve(TrainingJobs.TRAIN).resolve(TrainingJobs.PLAN);
        if (Files.exists(plan)) {
            trainPlan(context, hp, Json.read(plan, ChannelPlan.class));
            return;
        }
        Dataset dataset = IdxDirectory.load(dataDirectory());
        TrainingArtifact artifact = train(context, dataset, hp, null);
        ReleaseService release = new ReleaseService(context.err::println);
        EvaluatedModel model = release.evaluate(artifact, dataset.test(), optMl.resolve("output/evaluation"));
        context.out.printf(java.util.Locale.ROOT, "test_accuracy=%.4f test_ece=%.4f%n", model.test().accuracy(),
                model.test().expectedCalibrationError());
        String version = System.getenv().getOrDefault("TRAINING_JOB_NAME", "sagemaker");
        release.writePackage(modelDir(), model, version, null, java.util.Map.of());
        context.out.println("model package written to " + modelDir());
    }

    /**
     * A retraining pipeline's job: the plan staged by its {@code stage-training} step, trained as the pipeline's
     * train step would train it (same images, recipe, data identity, warm start from the champion channel's
     * package), leaving the training artefact in the model directory, which SageMaker stores as
     * {@code model.tar.gz}. Evaluation and release are the pipeline's next steps, not the job's.
     */
    private void trainPlan(Context context, Hyperparameters hp, ChannelPlan plan) {
        if (plan.mode() == null || plan.parent() == null || plan.source() == null || plan.fingerprint() == null) {
            throw new DataException("the train channel's " + TrainingJobs.PLAN + " is incomplete: " + plan);
        }
        Path channels = optMl.resolve("input/data");
        Dataset images = IdxDirectory.load(channels.resolve(TrainingJobs.TRAIN));
        // The plan's identity, not the staged files': the artefact records what the train step would record.
        Dataset dataset = new Dataset(Path.of(plan.source()), withClasses(images.train(), plan.numClasses()),
                withClasses(images.test(), plan.numClasses()), plan.fingerprint());
        Map<String, WeightsFile.Tensor> warmStart = null;
        if (plan.mode() == RetrainRequest.Mode.INCREMENTAL) {
            Path championDir = channels.resolve(TrainingJobs.CHAMPION);
            if (!Files.isDirectory(championDir)) {
                throw new DataException("an incremental plan needs the champion's package: expected a `"
                        + TrainingJobs.CHAMPION + "` channel at " + championDir);
            }
            ModelPackage champion = ModelPackage.open(championDir);
            if (!champion.manifest().version().equals(plan.parent())) {
                throw new DataException("the champion channel holds " + champion.manifest().version()
                        + ", but the plan starts from " + plan.parent());
            }
            warmStart = WeightsFile.read(champion.weights());
        }
        context.err.printf(java.util.Locale.ROOT, "training %s from %s on %d images, %d epochs%n",
                plan.mode().name().toLowerCase(java.util.Locale.ROOT), plan.parent(), dataset.train().size(),
                hp.epochs());
        TrainingArtifact artifact = train(context, dataset, hp, warmStart);
        artifact.write(modelDir());
        context.out.printf(java.util.Locale.ROOT, "validation_accuracy=%.4f epochs=%d%n",
                artifact.info().bestValidationAccuracy(), artifact.info().history().size());
        context.out.println("training artefact written to " + modelDir());
    }

    private static LabeledImages withClasses(LabeledImages images, int numClasses) {
        return new LabeledImages(images.pixels(), images.labels(), images.rows(), images.cols(), numClasses);
    }

    private Path modelDir() {
        return optMl.resolve("model");
    }

    /** Trains with checkpoints in SageMaker's checkpoint directory, resuming what a stopped job left there. */
    private TrainingArtifact train(Context context, Dataset dataset, Hyperparameters hp,
            Map<String, WeightsFile.Tensor> warmStart) {
        Path checkpoints = Files.isDirectory(optMl.resolve("checkpoints")) ? optMl.resolve("checkpoints")
                : optMl.resolve("output/run");
        boolean resume = Files.exists(checkpoints.resolve("checkpoint.json"));
        return new DjlTraining(context.engine(),
                new StopOnRequest(new ConsoleProgress(context.out, context.err, false), stopRequested, checkpoints))
                .train(dataset, hp, checkpoints, resume, warmStart);
    }

    private Path dataDirectory() {
        Path channels = optMl.resolve("input/data");
        Path train = Files.isDirectory(channels.resolve("train")) ? channels.resolve("train") : channels.resolve("training");
        Path test = channels.resolve("test");
        if (!Files.isDirectory(train)) {
            throw new DataException("no training data: expected a `train` channel at " + channels.resolve("train"));
        }
        if (!Files.isDirectory(test)) {
            return train;
        }
        // Separate channels: present both to the IDX loader as one directory of links.
        try {
            Path merged = Files.createTempDirectory("channels");
            for (Path channel : List.of(train, test)) {
                try (var files = Files.list(channel)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        Files.createSymbolicLink(merged.resolve(f.getFileName()), f.toAbsolutePath());
                    }
                }
            }
            return merged;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot combine the train and test channels", e);
        }
    }

    static Hyperparameters hyperparameters(Path file) {
        List<String> args = new ArrayList<>();
        if (Files.exists(file)) {
            Map<?, ?> values = Json.read(file, Map.class);
            for (var entry : values.entrySet()) {
                String key = String.valueOf(entry.getKey());
                if (key.startsWith("sagemaker_")) {
                    continue; // set by SageMaker itself, not ours to interpret
                }
                args.add("--" + key);
                args.add(String.valueOf(entry.getValue()));
            }
        }
        Flags flags = new Flags();
        try {
            new CommandLine(flags).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException("bad hyperparameters.json: " + e.getMessage(), e);
        }
        return flags.options.resolve("strong");
    }

    private void writeFailure(String reason, Throwable e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        try {
            // SageMaker shows the first 1 KB of this file as the job's FailureReason.
            AtomicFiles.writeString(optMl.resolve("output/failure"), reason + "\n\n" + trace);
        } catch (RuntimeException ignored) {
            // nothing more to do: the exit code still reports the failure
        }
    }


    /**
     * SageMaker stops a job (and a spot interruption ends one) with SIGTERM, then SIGKILL 120 s later.
     * The JVM's own answer, running shutdown hooks while the training thread keeps going, could kill
     * it in the middle of an epoch; instead the loop is asked to stop at its next step.
     */
    private void stopOnSigterm() {
        try {
            Signal.handle(new Signal("TERM"), signal -> stopRequested.set(true));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGTERM here (or -Xrs): the JVM's default applies; checkpoints are crash-safe anyway.
        }
    }

    /** Thrown out of the training loop once SIGTERM has arrived; its message says where to resume. */
    private static final class TrainingStopped extends RuntimeException {
        TrainingStopped(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Passes progress on, and ends training once a stop is requested: right after an epoch's checkpoint
     * when one was just written, else at the next batch (losing at most the unfinished epoch).
     */
    private record StopOnRequest(TrainingListener delegate, AtomicBoolean stop, Path checkpoints)
            implements TrainingListener {
        @Override
        public void onBatch(int epoch, int epochs, int done, int total, double loss, double imagesPerSecond) {
            if (stop.get()) {
                throw new TrainingStopped("during epoch " + epoch + "; a restart resumes from the last checkpoint in "
                        + checkpoints);
            }
            delegate.onBatch(epoch, epochs, done, total, loss, imagesPerSecond);
        }

        @Override
        public void onEpoch(EpochMetrics metrics) {
            delegate.onEpoch(metrics);
            if (stop.get()) {
                throw new TrainingStopped("after epoch " + metrics.epoch() + "; a restart resumes from its checkpoint in "
                        + checkpoints);
            }
        }

        @Override
        public void onMessage(String message) {
            delegate.onMessage(message);
        }
    }
}
