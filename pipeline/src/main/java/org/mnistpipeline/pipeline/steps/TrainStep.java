package org.mnistpipeline.pipeline.steps;

import java.nio.file.Path;
import org.mnistpipeline.pipeline.Lineage;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.TrainingPlan;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.train.TrainingResult;

/**
 * Trains the challenger, incrementally unless the decision or a failed incremental gate asks for a
 * full retrain. Checkpoints go to the run's work directory, so a killed step resumes mid-training.
 */
public final class TrainStep implements Step<TrainStep.Input, TrainStep.Output> {

    /** @param gate the incremental attempt's verdict when this is the full-retrain fallback, else null */
    public record Input(RetrainRequest request, DecideStep.Output decide, GateStep.Output gate) {}

    /**
     * @param dir                where the checkpoints and the best weights ({@code best.safetensors}) are
     * @param lineage            what the challenger has learnt from, for its manifest
     * @param trainImages        images it was trained on (validation split included)
     */
    public record Output(Mode mode, String dir, String parent, Lineage lineage, int trainImages, int newImages,
            int replayImages, int epochs, double seconds, double validationAccuracy) {}

    @Override
    public String name() {
        return "train";
    }

    @Override
    public Class<Input> inputType() {
        return Input.class;
    }

    /** The mode this input asks for: full after a failed incremental attempt. */
    public static Mode mode(Input input) {
        return input.gate() != null && !input.gate().passed() ? Mode.FULL : input.decide().mode();
    }

    public static Path dir(StepContext context, Mode mode) {
        return context.workDir().resolve("train-" + mode.name().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public Output run(Input input, StepContext context) {
        Mode mode = mode(input);
        ModelPackage champion = context.registry().get(input.decide().champion());
        TrainingPlan plan = TrainingPlan.of(mode, input.request(), input.decide().batches(), champion,
                context.store());
        context.log().accept(String.format("train: %s from %s on %d images (%d new, %d replayed), %d epochs",
                mode.name().toLowerCase(java.util.Locale.ROOT), champion.manifest().version(),
                plan.dataset().train().size(), plan.newImages(), plan.replayImages(), plan.hyperparameters().epochs()));
        Path dir = dir(context, mode);
        TrainingResult result = context.training().train(plan.dataset(), plan.hyperparameters(), dir,
                plan.warmStart());
        return new Output(mode, dir.toString(), champion.manifest().version(), plan.lineage(),
                plan.dataset().train().size(), plan.newImages(), plan.replayImages(), result.history().size(),
                result.trainingSeconds(), result.bestValidationAccuracy());
    }
}
