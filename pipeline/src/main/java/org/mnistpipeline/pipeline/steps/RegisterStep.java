package org.mnistpipeline.pipeline.steps;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.release.EvaluatedModel;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * Registers a challenger that passed the gate as a new version: the train step's artefact with
 * the evaluate step's metrics, ONNX graph, drift baseline and report, and in its provenance the
 * lineage (parent, base data, batches), the run that made it and the gate's numbers. Nothing is
 * trained or scored here. Finding a version already registered by this run and mode, it returns
 * that one instead.
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
        TrainingArtifact artifact = context.files().artifact(input.train().artifact());
        EvaluatedModel evaluated = EvaluatedModel.read(context.files().fetch(input.evaluate().evaluation()), artifact);
        Map<String, String> provenance = new LinkedHashMap<>(input.train().lineage().asProvenance());
        provenance.put(RUN, context.runId());
        provenance.put(MODE, mode);
        provenance.put("pipeline.gate", input.gate().summary());
        ModelManifest registered = new ReleaseService(context.log()).register(registry, evaluated,
                context.workDir().resolve("package-" + mode), input.train().parent(), provenance, false);
        context.log().accept(String.format(Locale.ROOT, "register: %s (parent %s), test accuracy %.2f%%",
                registered.version(), registered.parent(), evaluated.test().accuracy() * 100));
        return new Output(registered.version(), registered.parent(), evaluated.test().accuracy());
    }
}
