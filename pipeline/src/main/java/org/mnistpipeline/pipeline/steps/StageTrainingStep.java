package org.mnistpipeline.pipeline.steps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.Lineage;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.TrainingPlan;
import org.mnistpipeline.pipeline.aws.TrainingJobs;
import org.mnistpipeline.pipeline.aws.TrainingJobs.ChannelPlan;
import org.mnistpipeline.registry.ModelPackage;

/**
 * The first half of {@code train} when a SageMaker training job trains: computes the training plan once, as the
 * train step would ({@link TrainingPlan}), and stages it under MNIST_HOME as the job's channels and
 * hyperparameters ({@link TrainingJobs}). Its output is everything the job's request needs, and what
 * {@link CollectTrainingStep} needs to turn the job's artefact into the train step's output. Each call stages
 * a new job (its name is new), so a retried or re-entered state never reuses a job name.
 */
public final class StageTrainingStep implements Step<TrainStep.Input, StageTrainingStep.Output> {

    /** Where the job reads and writes: locations as SageMaker is given them ({@code s3://...} on AWS). */
    public record Channels(String train, String champion) {}

    /**
     * @param jobName         unique per call, a valid SageMaker name
     * @param hyperparameters the plan's recipe ({@link TrainingJobs#hyperparameters})
     * @param outputPath      SageMaker's output path: the artefact lands at {@code <outputPath>/<jobName>/output/model.tar.gz}
     * @param checkpoints     the job's checkpoint location (kept across spot interruptions)
     * @param fingerprint     the plan's data fingerprint, which the job's artefact must record
     */
    public record Output(String jobName, Mode mode, String parent, Lineage lineage, int trainImages, int newImages,
            int replayImages, String fingerprint, Map<String, String> hyperparameters, Channels channels,
            String outputPath, String checkpoints) {}

    @Override
    public String name() {
        return "stage-training";
    }

    @Override
    public Output run(TrainStep.Input input, StepContext context) {
        Mode mode = TrainStep.mode(input);
        ModelPackage champion = context.registry().get(input.decide().champion());
        TrainingPlan plan = TrainingPlan.of(mode, input.request(), input.decide().batches(), champion,
                context.store());
        String job = TrainingJobs.uniqueName(mode == Mode.INCREMENTAL ? "inc" : "full", context.runId());
        Path staging = context.workDir().resolve("stage-" + job);
        Path train = staging.resolve(TrainingJobs.TRAIN);
        Path championCopy = staging.resolve(TrainingJobs.CHAMPION);
        try {
            Files.createDirectories(train);
            Idx.writeDataset(train, plan.dataset().train(), plan.dataset().test());
            Json.writeAtomically(train.resolve(TrainingJobs.PLAN), new ChannelPlan(mode, champion.manifest().version(),
                    plan.dataset().source().toString(), plan.dataset().fingerprint(), plan.dataset().numClasses()));
            FileTrees.copy(champion.dir(), championCopy);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage training job " + job + " in " + staging, e);
        }
        String prefix = TrainingJobs.JOBS + "/" + job + "/";
        Channels channels = new Channels(context.files().publishAt(prefix + TrainingJobs.TRAIN, train),
                context.files().publishAt(prefix + TrainingJobs.CHAMPION, championCopy));
        try {
            FileTrees.delete(staging);
        } catch (IOException e) {
            context.log().accept("stage-training: could not remove " + staging + ": " + e.getMessage());
        }
        context.log().accept(String.format(Locale.ROOT,
                "stage-training: job %s, %s from %s on %d images (%d new, %d replayed), %d epochs",
                job, mode.name().toLowerCase(Locale.ROOT), champion.manifest().version(),
                plan.dataset().train().size(), plan.newImages(), plan.replayImages(), plan.hyperparameters().epochs()));
        return new Output(job, mode, champion.manifest().version(), plan.lineage(), plan.dataset().train().size(),
                plan.newImages(), plan.replayImages(), plan.dataset().fingerprint().sha256(),
                TrainingJobs.hyperparameters(plan.hyperparameters()), channels,
                context.files().location(TrainingJobs.JOBS), context.files().location(TrainingJobs.CHECKPOINTS + "/" + job));
    }
}
