package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.release.EvaluatedModel;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.release.ReleaseService.QuantizationCheck;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * A model {@code mnist train} or {@code mnist demo} released through the {@link ReleaseService},
 * and how the CLI reports it: one line (or JSON) with the version, the test-set numbers measured in
 * ONNX Runtime and the report's path.
 */
final class ReleaseSummary {
    private final ModelManifest manifest;
    private final EvaluatedModel model;
    private final Path reportDir;
    private final QuantizationCheck quantization;
    private String promotedTo;

    private ReleaseSummary(ModelManifest manifest, EvaluatedModel model, Path reportDir,
            QuantizationCheck quantization) {
        this.manifest = manifest;
        this.model = model;
        this.reportDir = reportDir;
        this.quantization = quantization;
    }

    /** Optional int8 variant: accepted only if it loses at most {@code tolerancePoints} of test accuracy. */
    record Quantize(boolean enabled, double tolerancePoints) {
        static final Quantize OFF = new Quantize(false, 0.1);
    }

    /** Evaluates, optionally quantizes, and registers {@code artifact}; its working files go under {@code runDir}. */
    static ReleaseSummary release(Context context, Dataset dataset, TrainingArtifact artifact, Path runDir,
            Quantize quantize) {
        ReleaseService release = new ReleaseService(context.err::println);
        EvaluatedModel model = release.evaluate(artifact, dataset.test(), runDir.resolve("evaluation"));
        QuantizationCheck check = quantize.enabled()
                ? release.checkInt8(model, dataset.test(), quantize.tolerancePoints()) : null;
        var registry = context.registry();
        ModelManifest registered = release.register(registry, model, runDir.resolve("package"), null, Map.of(),
                check != null);
        return new ReleaseSummary(registered, model, registry.get(registered.version()).dir().resolve("report"), check);
    }

    void promote(Context context) {
        context.registry().promote(manifest.version(), "production");
        promotedTo = "production";
    }

    String version() {
        return manifest.version();
    }

    Map<String, Object> summary() {
        var info = model.artifact().info();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("version", manifest.version());
        s.put("architecture", manifest.architecture().name());
        s.put("test_accuracy", model.test().accuracy());
        s.put("test_ece", model.test().expectedCalibrationError());
        s.put("validation_accuracy", info.bestValidationAccuracy());
        s.put("epochs", info.history().size());
        s.put("training_seconds", info.trainingSeconds());
        s.put("report", reportDir.resolve("report.html").toString());
        s.put("alias", promotedTo);
        if (quantization != null) {
            s.put("int8_size_ratio", quantization.sizeRatio());
            s.put("int8_test_accuracy", quantization.int8Accuracy());
            s.put("int8_accuracy_change_points", -quantization.dropPoints());
        }
        return s;
    }

    void print(Context context, boolean json) {
        if (json) {
            context.out.println(Json.pretty(summary()));
            return;
        }
        var info = model.artifact().info();
        context.out.printf(Locale.ROOT, "model %s (%s): test accuracy %.2f%%, ECE %.4f, %d epochs in %.0f s%s%n",
                manifest.version(), manifest.architecture().name(), model.test().accuracy() * 100,
                model.test().expectedCalibrationError(), info.history().size(), info.trainingSeconds(),
                promotedTo == null ? "" : ", promoted to " + promotedTo);
        if (quantization != null) {
            context.out.printf(Locale.ROOT, "int8 variant: %.2fx smaller, test accuracy %+.2f points (%s)%n",
                    quantization.sizeRatio(), -quantization.dropPoints(), ReleaseService.INT8_FILE);
        }
        context.out.println("report: " + reportDir.resolve("report.html"));
    }
}
