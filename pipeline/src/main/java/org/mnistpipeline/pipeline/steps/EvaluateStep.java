package org.mnistpipeline.pipeline.steps;

import java.nio.file.Path;
import java.util.Locale;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.pipeline.Corpus;
import org.mnistpipeline.pipeline.Lineage;
import org.mnistpipeline.pipeline.MayBeAbsent;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.release.EvaluatedModel;
import org.mnistpipeline.release.OnnxScoring;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * Scores champion and challenger on the same fixed holdouts, in ONNX Runtime as they would be
 * served: the original test set, and the held-back slices of the new batches. The challenger's
 * test-set scoring is the release's evaluation ({@link ReleaseService#evaluate}): its metrics,
 * drift baseline and report are what registration records, without scoring again.
 */
public final class EvaluateStep implements Step<EvaluateStep.Input, EvaluateStep.Output> {

    public record Input(RetrainRequest request, DecideStep.Output decide, TrainStep.Output train) {}

    /** @param newHoldout null when the run has no new batches (a forced full retrain) */
    public record Scores(String model, double originalTest, @MayBeAbsent Double newHoldout) {}

    /**
     * @param evaluation where the challenger's evaluation is (scored graph, metrics, baseline, report): a
     *                   directory, or an {@code s3://} prefix when the home is in S3
     */
    public record Output(Scores champion, Scores challenger, int testImages, int holdoutImages, String evaluation) {}

    @Override
    public String name() {
        return "evaluate";
    }

    @Override
    public Output run(Input input, StepContext context) {
        ModelPackage champion = context.registry().get(input.decide().champion());
        ModelManifest manifest = champion.manifest();
        Corpus corpus = Corpus.open(Lineage.of(manifest), context.store());
        LabeledImages test = corpus.test();
        LabeledImages holdout = input.decide().batches().isEmpty() ? null
                : corpus.holdouts(input.decide().batches(), input.request().holdoutFraction());
        byte[] championOnnx = ReleaseService.onnxOf(champion);
        TrainingArtifact artifact = context.files().artifact(input.train().artifact());
        Path dir = context.workDir().resolve("evaluate-" + input.train().mode().name().toLowerCase(Locale.ROOT));
        EvaluatedModel challenger = new ReleaseService(context.log()).evaluate(artifact, test, dir);
        Scores championScores = new Scores(manifest.version(), OnnxScoring.accuracy(championOnnx, manifest.version(),
                test), holdout == null ? null : OnnxScoring.accuracy(championOnnx, manifest.version(), holdout));
        Scores challengerScores = new Scores("challenger", challenger.test().accuracy(),
                holdout == null ? null : OnnxScoring.accuracy(challenger.onnx(), "challenger", holdout));
        context.log().accept(String.format(Locale.ROOT,
                "evaluate: original test %.2f%% -> %.2f%%, new-data holdout %s -> %s (champion -> challenger)",
                championScores.originalTest() * 100, challengerScores.originalTest() * 100,
                percent(championScores.newHoldout()), percent(challengerScores.newHoldout())));
        return new Output(championScores, challengerScores, test.size(), holdout == null ? 0 : holdout.size(),
                context.files().publish(dir, dir.getFileName().toString()));
    }

    static String percent(Double accuracy) {
        return accuracy == null ? "n/a" : String.format(Locale.ROOT, "%.2f%%", accuracy * 100);
    }
}
