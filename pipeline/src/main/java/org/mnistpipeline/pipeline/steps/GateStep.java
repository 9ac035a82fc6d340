package org.mnistpipeline.pipeline.steps;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;

/**
 * Champion versus challenger. The challenger passes only if it loses at most the tolerance on the
 * original test set and is not worse on the new data's holdout. Every check is kept with its
 * numbers, passed or not.
 */
public final class GateStep implements Step<GateStep.Input, GateStep.Output> {

    public record Input(RetrainRequest request, TrainStep.Output train, EvaluateStep.Output evaluate) {}

    /** @param allowedDropPoints how far below the champion the challenger may be, in points */
    public record Check(String name, double champion, double challenger, double allowedDropPoints, boolean passed) {}

    public record Output(boolean passed, Mode mode, List<Check> checks, String summary) {}

    @Override
    public String name() {
        return "gate";
    }

    @Override
    public Output run(Input input, StepContext context) {
        EvaluateStep.Scores champion = input.evaluate().champion();
        EvaluateStep.Scores challenger = input.evaluate().challenger();
        List<Check> checks = new ArrayList<>();
        checks.add(check("original test", champion.originalTest(), challenger.originalTest(),
                input.request().tolerancePoints()));
        if (champion.newHoldout() != null) {
            checks.add(check("new-data holdout", champion.newHoldout(), challenger.newHoldout(), 0));
        }
        boolean passed = checks.stream().allMatch(Check::passed);
        StringBuilder summary = new StringBuilder(passed ? "challenger passed: " : "challenger rejected: ");
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            summary.append(i == 0 ? "" : "; ").append(String.format(Locale.ROOT, "%s %.2f%% vs champion %.2f%% (%+.2f points, %s %.2f)",
                    c.name(), c.challenger() * 100, c.champion() * 100, (c.challenger() - c.champion()) * 100,
                    c.passed() ? "allowed drop" : "over the allowed drop of", c.allowedDropPoints()));
        }
        context.log().accept("gate (" + input.train().mode().name().toLowerCase(Locale.ROOT) + "): " + summary);
        return new Output(passed, input.train().mode(), checks, summary.toString());
    }

    private static Check check(String name, double champion, double challenger, double allowedDropPoints) {
        // A hair of slack so floating-point rounding never decides an exact tie.
        boolean passed = (champion - challenger) * 100 <= allowedDropPoints + 1e-9;
        return new Check(name, champion, challenger, allowedDropPoints, passed);
    }
}
