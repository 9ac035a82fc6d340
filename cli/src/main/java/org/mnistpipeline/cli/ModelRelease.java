package org.mnistpipeline.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.export.OnnxExporter;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.ModelPackager;
import org.mnistpipeline.train.TrainingResult;

/**
 * A trained model on its way into the registry: evaluated once on the test set, packaged with
 * its report, registered under a new version, and optionally promoted.
 */
final class ModelRelease {
    static final String ONNX_FILE = "model.onnx";
    private final ModelManifest manifest;
    private final Evaluation test;
    private final Path reportDir;
    private final TrainingResult result;
    private String promotedTo;

    private ModelRelease(ModelManifest manifest, Evaluation test, Path reportDir, TrainingResult result) {
        this.manifest = manifest;
        this.test = test;
        this.reportDir = reportDir;
        this.result = result;
    }

    static ModelRelease create(Context context, Dataset dataset, TrainingResult result, Path runDir, String parent) {
        var engine = context.engine();
        ModelPackager packager = new ModelPackager(engine, Engines.bestDevice(engine));
        context.err.println("evaluating on the test set (" + dataset.test().size() + " images)...");
        Evaluation test = packager.evaluate(result.spec(), result.weights(), dataset.test());
        Path staging = runDir.resolve("package");
        deleteTree(staging);
        packager.stage(staging, dataset, result, test, parent, runDir);
        ModelRegistry registry = context.registry();
        ModelManifest registered = registry.register(staging);
        // Exported once the version is known, so the ONNX metadata names it.
        attachOnnx(registry, registered.version());
        Path reportDir = registry.get(registered.version()).dir().resolve("report");
        return new ModelRelease(registered, test, reportDir, result);
    }

    /** Adds {@code model.onnx}, built from the package's spec and weights, to a registered version. */
    static ModelPackage attachOnnx(ModelRegistry registry, String version) {
        ModelPackage pkg = registry.get(version);
        ModelManifest m = pkg.manifest();
        byte[] onnx = OnnxExporter.export(m.architecture(), WeightsFile.read(pkg.weights()), m.version());
        return registry.addFiles(version, Map.of(ONNX_FILE, onnx));
    }

    void promote(Context context) {
        context.registry().promote(manifest.version(), "production");
        promotedTo = "production";
    }

    String version() {
        return manifest.version();
    }

    double testAccuracy() {
        return test.accuracy();
    }

    Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("version", manifest.version());
        s.put("architecture", manifest.architecture().name());
        s.put("test_accuracy", test.accuracy());
        s.put("test_ece", test.expectedCalibrationError());
        s.put("validation_accuracy", result.bestValidationAccuracy());
        s.put("epochs", result.history().size());
        s.put("training_seconds", result.trainingSeconds());
        s.put("report", reportDir.resolve("report.html").toString());
        s.put("alias", promotedTo);
        return s;
    }

    void print(Context context, boolean json) {
        if (json) {
            context.out.println(Json.pretty(summary()));
            return;
        }
        context.out.printf(Locale.ROOT, "model %s (%s): test accuracy %.2f%%, ECE %.4f, %d epochs in %.0f s%s%n",
                manifest.version(), manifest.architecture().name(), test.accuracy() * 100,
                test.expectedCalibrationError(), result.history().size(), result.trainingSeconds(),
                promotedTo == null ? "" : ", promoted to " + promotedTo);
        context.out.println("report: " + reportDir.resolve("report.html"));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }
}
