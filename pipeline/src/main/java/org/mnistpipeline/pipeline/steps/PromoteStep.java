package org.mnistpipeline.pipeline.steps;

import java.util.Optional;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;

/** Points the champion's alias at the new version, atomically; {@code mnist models rollback} undoes it. */
public final class PromoteStep implements Step<PromoteStep.Input, PromoteStep.Output> {

    public record Input(RetrainRequest request, DecideStep.Output decide, RegisterStep.Output register) {}

    /** @param previous the version the alias pointed at before */
    public record Output(String alias, String version, String previous) {}

    @Override
    public String name() {
        return "promote";
    }

    @Override
    public Output run(Input input, StepContext context) {
        String alias = input.request().alias();
        String version = input.register().version();
        Optional<String> current = context.registry().alias(alias);
        if (current.isPresent() && current.get().equals(version)) {
            context.log().accept("promote: " + alias + " already points at " + version);
        } else {
            context.registry().promote(version, alias);
            context.log().accept("promote: " + alias + " -> " + version + " (was " + input.decide().champion() + ")");
        }
        return new Output(alias, version, input.decide().champion());
    }
}
