package org.mnistpipeline.pipeline.steps;

import java.nio.file.Path;
import java.util.Locale;
import org.mnistpipeline.pipeline.Lineage;
import org.mnistpipeline.pipeline.MayBeAbsent;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.TrainingPlan;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.training.Training;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * Trains the challenger in the mode it is asked for and leaves a training artefact; the only step
 * that needs a training engine. Checkpoints go to the run's work directory, so a killed step
 * resumes mid-training.
 */
public final class TrainStep implements Step<TrainStep.Input, TrainStep.Output> {

    /**
     * @param fallback set by the graph when an incremental challenger failed the gate and a full
     *                 retrain follows; null on the first attempt
     */
    public record Input(RetrainRequest request, DecideStep.Output decide, @MayBeAbsent Fallback fallback) {}

    /**
     * What the graph's fallback Pass state stores: the mode to train next and the incremental
     * attempt it replaces.
     */
    public record Fallback(Mode mode, Attempt incremental) {}

    /** An earlier attempt's outputs, kept in the state document when a later attempt overwrites them. */
    public record Attempt(Output train, EvaluateStep.Output evaluate, GateStep.Output gate) {}

    /**
     * @param artifact    where the training artefact is (best weights, spec, history, provenance): a
     *                    directory, an {@code s3://} prefix, or an {@code s3://…/model.tar.gz} a SageMaker
     *                    training job wrote; read through {@link org.mnistpipeline.pipeline.RunFiles}
     * @param lineage     what the challenger has learnt from, for its manifest
     * @param trainImages images it was trained on (validation split included)
     */
    public record Output(Mode mode, String artifact, String parent, Lineage lineage, int trainImages, int newImages,
            int replayImages, int epochs, double seconds, double validationAccuracy) {}

    @Override
    public String name() {
        return "train";
    }

    public static Path dir(StepContext context, Mode mode) {
        return context.workDir().resolve("train-" + mode.name().toLowerCase(Locale.ROOT));
    }

    @Override
    public Output run(Input input, StepContext context) {
        Mode mode = mode(input);
        ModelPackage champion = context.registry().get(input.decide().champion());
        TrainingPlan plan = TrainingPlan.of(mode, input.request(), input.decide().batches(), champion,
                context.store());
        context.log().accept(String.format("train: %s from %s on %d images (%d new, %d replayed), %d epochs",
                mode.name().toLowerCase(Locale.ROOT), champion.manifest().version(),
                plan.dataset().train().size(), plan.newImages(), plan.replayImages(), plan.hyperparameters().epochs()));
        Path dir = dir(context, mode);
        TrainingArtifact artifact = context.training().train(plan.dataset(), plan.hyperparameters(), dir, true,
                plan.warmStart());
        // Published for the evaluate and register steps, which may run elsewhere (an s3:// prefix then).
        String location = context.files().publish(dir.resolve(Training.ARTIFACT_DIR),
                dir.getFileName() + "/" + Training.ARTIFACT_DIR);
        return output(plan, champion.manifest().version(), location, artifact);
    }

    /** The mode this attempt trains in: the fallback's when the graph fell back, else the decision's. */
    public static Mode mode(Input input) {
        return input.fallback() != null ? input.fallback().mode() : input.decide().mode();
    }

    /**
     * The step's output for {@code artifact}, trained on {@code plan} from champion {@code parent}
     * and stored at {@code location}: the same whether this step trained it or a training job did.
     */
    public static Output output(TrainingPlan plan, String parent, String location, TrainingArtifact artifact) {
        return output(plan.mode(), parent, plan.lineage(), plan.dataset().train().size(), plan.newImages(),
                plan.replayImages(), location, artifact);
    }

    /** As {@link #output(TrainingPlan, String, String, TrainingArtifact)}, from the plan's figures. */
    public static Output output(Mode mode, String parent, Lineage lineage, int trainImages, int newImages,
            int replayImages, String location, TrainingArtifact artifact) {
        return new Output(mode, location, parent, lineage, trainImages, newImages, replayImages,
                artifact.info().history().size(), artifact.info().trainingSeconds(),
                artifact.info().bestValidationAccuracy());
    }
}
