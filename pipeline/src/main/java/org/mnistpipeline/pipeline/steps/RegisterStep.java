package org.mnistpipeline.pipeline.steps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.pipeline.Releases;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.TrainingPlan;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.train.TrainingResult;

/**
 * Registers a challenger that passed the gate as a new version, with its lineage (parent, base
 * data, batches), the run that made it and the gate's numbers in its provenance, and its ONNX
 * export. Finding a version already registered by this run and mode, it returns that one instead.
 */
public final class RegisterStep implements Step<RegisterStep.Input, RegisterStep.Output> {
    static final String RUN = "pipeline.run";
    static final String MODE = "pipeline.mode";

    public record Input(RetrainRequest request, DecideStep.Output decide, TrainStep.Output train,
            EvaluateStep.Output evaluate, GateStep.Output gate) {}

    public record Output(String version, String parent, double testAccuracy) {}

    @Override
    public String name() {
        return "register";
    }

    @Override
    public Class<Input> inputType() {
        return Input.class;
    }

    @Override
    public Output run(Input input, StepContext context) {
        if (!input.gate().passed()) {
            throw new IllegalStateException("the challenger did not pass the gate; it is not registered");
        }
        ModelRegistry registry = context.registry();
        String mode = input.train().mode().name().toLowerCase(Locale.ROOT);
        Optional<ModelManifest> earlier = registry.list().stream()
                .filter(m -> context.runId().equals(m.provenance().get(RUN)) && mode.equals(m.provenance().get(MODE)))
                .findFirst();
        if (earlier.isPresent()) {
            context.log().accept("register: already registered by this run as " + earlier.get().version());
            return new Output(earlier.get().version(), earlier.get().parent(),
                    earlier.get().metrics().getOrDefault("test_accuracy", Double.NaN));
        }
        ModelPackage champion = registry.get(input.train().parent());
        TrainingPlan plan = TrainingPlan.of(input.train().mode(), input.request(), input.decide().batches(), champion,
                context.store());
        Path trainDir = Path.of(input.train().dir());
        // Training finished in the train step; this only reads its result back from the checkpoints.
        TrainingResult result = context.training().train(plan.dataset(), plan.hyperparameters(), trainDir,
                plan.warmStart());
        Evaluation test = context.training().evaluate(result.spec(), result.weights(), plan.dataset().test());
        Path staging = context.workDir().resolve("package-" + mode);
        try {
            FileTrees.delete(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + staging, e);
        }
        ModelManifest staged = context.training().stage(staging, plan.dataset(), result, test,
                champion.manifest().version(), trainDir);
        Map<String, String> provenance = new LinkedHashMap<>(staged.provenance());
        provenance.putAll(plan.lineage().asProvenance());
        provenance.put(RUN, context.runId());
        provenance.put(MODE, mode);
        provenance.put("pipeline.gate", input.gate().summary());
        Json.writeAtomically(staging.resolve(ModelPackage.MANIFEST), new ModelManifest(staged.formatVersion(),
                staged.version(), staged.createdAt(), staged.architecture(), staged.hyperparameters(), staged.data(),
                staged.metrics(), staged.parent(), provenance, staged.weightsFile()));
        ModelManifest registered = Releases.register(registry, staging, result.spec(),
                WeightsFile.byName(result.weights()), plan.dataset().test(), false);
        context.log().accept(String.format(Locale.ROOT, "register: %s (parent %s), test accuracy %.2f%%",
                registered.version(), registered.parent(), test.accuracy() * 100));
        return new Output(registered.version(), registered.parent(), test.accuracy());
    }
}
