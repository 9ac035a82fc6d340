package org.mnistpipeline.pipeline.steps;

import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;

/** Keeps the champion and says why; the challenger's artefact stays in the run's work directory. */
public final class RejectStep implements Step<RejectStep.Input, RejectStep.Output> {

    public record Input(RetrainRequest request, DecideStep.Output decide, TrainStep.Output train,
            GateStep.Output gate) {}

    /** @param challengerArtifact the rejected challenger's training artefact, kept in the run's work directory */
    public record Output(String champion, String reason, String challengerArtifact) {}

    @Override
    public String name() {
        return "reject";
    }

    @Override
    public Output run(Input input, StepContext context) {
        context.log().accept("reject: keeping " + input.decide().champion());
        return new Output(input.decide().champion(), input.gate().summary(), input.train().artifact());
    }
}
