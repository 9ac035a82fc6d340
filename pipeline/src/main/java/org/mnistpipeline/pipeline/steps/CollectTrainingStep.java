package org.mnistpipeline.pipeline.steps;

import org.mnistpipeline.MnistException;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * The second half of {@code train} when a SageMaker training job trains: reads and verifies the job's artefact
 * ({@code model.tar.gz}) and returns the train step's own output for it, so evaluation and registration cannot
 * tell who trained. Refuses an artefact of another job or trained on other data than the staged plan.
 */
public final class CollectTrainingStep implements Step<CollectTrainingStep.Input, TrainStep.Output> {

    /** What the training state keeps of SageMaker's job description (its {@code ResultSelector}). */
    public record TrainingJob(String jobName, String modelArtifacts) {}

    /**
     * @param trainingJob what {@link StageTrainingStep} staged
     * @param train       the finished job, until this step replaces it with the train step's output
     */
    public record Input(StageTrainingStep.Output trainingJob, TrainingJob train) {}

    @Override
    public String name() {
        return "collect-training";
    }

    @Override
    public TrainStep.Output run(Input input, StepContext context) {
        StageTrainingStep.Output staged = input.trainingJob();
        if (!staged.jobName().equals(input.train().jobName())) {
            throw new MnistException("training job " + input.train().jobName() + " is not the one staged ("
                    + staged.jobName() + ")");
        }
        TrainingArtifact artifact = context.files().artifact(input.train().modelArtifacts());
        String trainedOn = artifact.info().data().fingerprint().sha256();
        if (!trainedOn.equals(staged.fingerprint())) {
            throw new MnistException("training job " + staged.jobName() + " trained on data " + trainedOn
                    + ", not the staged plan's " + staged.fingerprint());
        }
        context.log().accept("collect-training: " + staged.jobName() + ", " + artifact.info().history().size()
                + " epochs, best validation accuracy " + artifact.info().bestValidationAccuracy());
        return TrainStep.output(staged.mode(), staged.parent(), staged.lineage(), staged.trainImages(),
                staged.newImages(), staged.replayImages(), input.train().modelArtifacts(), artifact);
    }
}
