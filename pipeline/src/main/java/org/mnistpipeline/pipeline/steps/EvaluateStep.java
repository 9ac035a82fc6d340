package org.mnistpipeline.pipeline.steps;

import java.nio.file.Path;
import java.util.Locale;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.export.OnnxExporter;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.pipeline.Corpus;
import org.mnistpipeline.pipeline.Lineage;
import org.mnistpipeline.pipeline.OnnxScoring;
import org.mnistpipeline.pipeline.Releases;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.registry.ModelPackage;

/**
 * Scores champion and challenger on the same fixed holdouts, in ONNX Runtime as they would be
 * served: the original test set, and the held-back slices of the new batches.
 */
public final class EvaluateStep implements Step<EvaluateStep.Input, EvaluateStep.Output> {

    public record Input(RetrainRequest request, DecideStep.Output decide, TrainStep.Output train) {}

    /** @param newHoldout null when the run has no new batches (a forced full retrain) */
    public record Scores(String model, double originalTest, Double newHoldout) {}

    public record Output(Scores champion, Scores challenger, int testImages, int holdoutImages) {}

    @Override
    public String name() {
        return "evaluate";
    }

    @Override
    public Class<Input> inputType() {
        return Input.class;
    }

    @Override
    public Output run(Input input, StepContext context) {
        ModelPackage champion = context.registry().get(input.decide().champion());
        ModelManifest manifest = champion.manifest();
        Corpus corpus = Corpus.open(Lineage.of(manifest), context.store());
        LabeledImages test = corpus.test();
        LabeledImages holdout = input.decide().batches().isEmpty() ? null
                : corpus.holdouts(input.decide().batches(), input.request().holdoutFraction());
        byte[] championOnnx = Releases.onnxOf(champion);
        byte[] challengerOnnx = OnnxExporter.export(manifest.architecture(),
                WeightsFile.read(Path.of(input.train().dir()).resolve("best.safetensors")), "challenger");
        Scores championScores = score(manifest.version(), championOnnx, test, holdout);
        Scores challengerScores = score("challenger", challengerOnnx, test, holdout);
        context.log().accept(String.format(Locale.ROOT,
                "evaluate: original test %.2f%% -> %.2f%%, new-data holdout %s -> %s (champion -> challenger)",
                championScores.originalTest() * 100, challengerScores.originalTest() * 100,
                percent(championScores.newHoldout()), percent(challengerScores.newHoldout())));
        return new Output(championScores, challengerScores, test.size(), holdout == null ? 0 : holdout.size());
    }

    private static Scores score(String name, byte[] onnx, LabeledImages test, LabeledImages holdout) {
        return new Scores(name, OnnxScoring.accuracy(onnx, name, test),
                holdout == null ? null : OnnxScoring.accuracy(onnx, name, holdout));
    }

    static String percent(Double accuracy) {
        return accuracy == null ? "n/a" : String.format(Locale.ROOT, "%.2f%%", accuracy * 100);
    }
}
