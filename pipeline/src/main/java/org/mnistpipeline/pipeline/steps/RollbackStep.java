package org.mnistpipeline.pipeline.steps;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;
import org.mnistpipeline.pipeline.MayBeAbsent;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;

/**
 * Undoes {@code promote} when the promoted model could not be deployed: points the alias back at the version it
 * held before, through the registry (which records the change in the alias's history), so the registry never
 * names as production a model that is not served. Does nothing when the alias has moved on since (a later
 * promotion, or this rollback already done).
 */
public final class RollbackStep implements Step<RollbackStep.Input, RollbackStep.Output> {

    /** An error as Step Functions stores it for a catcher. */
    public record Failure(@JsonProperty("Error") String error, @JsonProperty("Cause") String cause) {}

    /** The deployment's part of the state document; only its error is read here. */
    public record Rollout(@MayBeAbsent Failure error) {}

    public record Input(RetrainRequest request, PromoteStep.Output promote, @MayBeAbsent Rollout deploy) {}

    /**
     * @param from       the version the alias pointed at when this step ran
     * @param to         the version it points at now
     * @param rolledBack false when the alias had already moved away from the promoted version
     * @param reason     why the rollout failed, as the deployment reported it
     */
    public record Output(String alias, String from, String to, boolean rolledBack, String reason) {}

    @Override
    public String name() {
        return "rollback";
    }

    @Override
    public Output run(Input input, StepContext context) {
        String alias = input.promote().alias();
        String promoted = input.promote().version();
        String reason = Optional.ofNullable(input.deploy()).map(Rollout::error)
                .map(f -> f.error() + ": " + f.cause()).orElse("rollout failed");
        String current = context.registry().alias(alias).orElse(null);
        if (!promoted.equals(current)) {
            context.log().accept("rollback: " + alias + " is " + current + ", not " + promoted + "; left as it is");
            return new Output(alias, current, current, false, reason);
        }
        String now = context.registry().rollback(alias);
        context.log().accept("rollback: " + alias + " " + promoted + " -> " + now + " (" + reason + ")");
        return new Output(alias, promoted, now, true, reason);
    }
}
