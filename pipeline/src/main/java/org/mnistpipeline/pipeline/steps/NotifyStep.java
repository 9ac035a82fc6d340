package org.mnistpipeline.pipeline.steps;

import java.time.Instant;
import java.util.List;
import org.mnistpipeline.pipeline.Notifier.Notification;
import org.mnistpipeline.pipeline.MayBeAbsent;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;

/** The last step of every run that got past deciding: says what happened and why. */
public final class NotifyStep implements Step<NotifyStep.Input, NotifyStep.Output> {

    /** Of the earlier steps, only those on the run's path have outputs. */
    public record Input(RetrainRequest request, DecideStep.Output decide, @MayBeAbsent GateStep.Output gate,
            @MayBeAbsent RegisterStep.Output register, @MayBeAbsent PromoteStep.Output promote,
            @MayBeAbsent RejectStep.Output reject) {}

    public record Output(String outcome, String text, List<String> delivered) {}

    @Override
    public String name() {
        return "notify";
    }

    /** The run's outcome as the state says it: promoted, rejected or skipped. */
    public static String outcome(Input input) {
        if (input.promote() != null) {
            return "promoted";
        }
        return input.reject() != null ? "rejected" : "skipped";
    }

    @Override
    public Output run(Input input, StepContext context) {
        String outcome = outcome(input);
        String champion = input.decide().champion();
        String text = switch (outcome) {
            case "promoted" -> input.promote().alias() + " is now " + input.promote().version() + " (was " + champion
                    + "); " + input.gate().summary();
            case "rejected" -> "kept " + champion + "; " + input.gate().summary();
            default -> "no retraining: " + input.decide().reason();
        };
        String challenger = input.register() != null ? input.register().version() : null;
        List<String> delivered = context.notifier().send(new Notification(context.runId(), outcome, text, champion,
                challenger, Instant.now().toString()));
        context.log().accept("notify: " + outcome + ": " + text);
        return new Output(outcome, text, delivered);
    }
}
