package org.mnistpipeline.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.OnnxScoring;
import org.mnistpipeline.pipeline.Releases;
import org.mnistpipeline.eval.GateException;
import org.mnistpipeline.export.OnnxExporter;
import org.mnistpipeline.export.Quantization;
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
    static final String ONNX_FILE = Releases.ONNX_FILE;
    static final String INT8_FILE = Releases.INT8_FILE;
    private final ModelManifest manifest;
    private final Evaluation test;
    private final Path reportDir;
    private final TrainingResult result;
    private String promotedTo;
    private QuantizationCheck quantization;

    private ModelRelease(ModelManifest manifest, Evaluation test, Path reportDir, TrainingResult result) {
        this.manifest = manifest;
        this.test = test;
        this.reportDir = reportDir;
        this.result = result;
    }

    /** Optional int8 variant: accepted only if it loses at most {@code tolerance} of test accuracy. */
    record Quantize(boolean enabled, double tolerancePoints) {
        static final Quantize OFF = new Quantize(false, 0.1);
    }

    /** What int8 quantization did, measured in ONNX Runtime on the test set. */
    record QuantizationCheck(double floatAccuracy, double int8Accuracy, long floatBytes, long int8Bytes) {
        double dropPoints() {
            return (floatAccuracy - int8Accuracy) * 100;
        }

        double sizeRatio() {
            return (double) floatBytes / int8Bytes;
        }
    }

    static ModelRelease create(Context context, Dataset dataset, TrainingResult result, Path runDir, String parent) {
        return create(context, dataset, result, runDir, parent, Quantize.OFF);
    }

    static ModelRelease create(Context context, Dataset dataset, TrainingResult result, Path runDir, String parent,
            Quantize quantize) {
        var engine = context.engine();
        ModelPackager packager = new ModelPackager(engine, Engines.bestDevice(engine));
        context.err.println("evaluating on the test set (" + dataset.test().size() + " images)...");
        Evaluation test = packager.evaluate(result.spec(), result.weights(), dataset.test());
        Path staging = runDir.resolve("package");
        deleteTree(staging);
        packager.stage(staging, dataset, result, test, parent, runDir);
        QuantizationCheck check = null;
        if (quantize.enabled()) {
            check = checkInt8(result, dataset);
            context.err.printf(Locale.ROOT, "int8: %.2fx smaller, test accuracy %.2f%% -> %.2f%% (%+.2f points)%n",
                    check.sizeRatio(), check.floatAccuracy() * 100, check.int8Accuracy() * 100, -check.dropPoints());
            if (check.dropPoints() > quantize.tolerancePoints()) {
                throw new GateException(String.format(Locale.ROOT,
                        "int8 quantization loses %.2f points of test accuracy (tolerance %.2f); model not registered",
                        check.dropPoints(), quantize.tolerancePoints()));
            }
        }
        ModelRegistry registry = context.registry();
        context.err.println("computing the drift-monitoring baseline on the test set (" + dataset.test().size()
                + " images)...");
        // The ONNX files are exported once the version is known, so their metadata names it.
        ModelManifest registered = Releases.register(registry, staging, result.spec(),
                WeightsFile.byName(result.weights()), dataset.test(), check != null);
        Path reportDir = registry.get(registered.version()).dir().resolve("report");
        ModelRelease release = new ModelRelease(registered, test, reportDir, result);
        release.quantization = check;
        return release;
    }

    /** Scores the float and the int8 ONNX models with ONNX Runtime on the whole test set. */
    static QuantizationCheck checkInt8(TrainingResult result, Dataset dataset) {
        byte[] fp32 = OnnxExporter.export(result.spec(), WeightsFile.byName(result.weights()), "candidate");
        byte[] int8 = OnnxExporter.export(result.spec(), WeightsFile.byName(result.weights()), "candidate",
                Quantization.INT8);
        return new QuantizationCheck(OnnxScoring.accuracy(fp32, "candidate", dataset.test()),
                OnnxScoring.accuracy(int8, "candidate-int8", dataset.test()), fp32.length, int8.length);
    }

    /** Adds {@code model.onnx}, built from the package's spec and weights, to a registered version. */
    static ModelPackage attachOnnx(ModelRegistry registry, String version) {
        return registry.addFiles(version, Map.of(ONNX_FILE, Releases.onnxOf(registry.get(version))));
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
        context.out.printf(Locale.ROOT, "model %s (%s): test accuracy %.2f%%, ECE %.4f, %d epochs in %.0f s%s%n",
                manifest.version(), manifest.architecture().name(), test.accuracy() * 100,
                test.expectedCalibrationError(), result.history().size(), result.trainingSeconds(),
                promotedTo == null ? "" : ", promoted to " + promotedTo);
        if (quantization != null) {
            context.out.printf(Locale.ROOT, "int8 variant: %.2fx smaller, test accuracy %+.2f points (%s)%n",
                    quantization.sizeRatio(), -quantization.dropPoints(), INT8_FILE);
        }
        context.out.println("report: " + reportDir.resolve("report.html"));
    }

    static void deleteTree(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }
}
