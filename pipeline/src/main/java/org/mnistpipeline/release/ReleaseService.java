package org.mnistpipeline.release;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.GateException;
import org.mnistpipeline.export.OnnxExporter;
import org.mnistpipeline.export.Quantization;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.report.ReportInput;
import org.mnistpipeline.report.ReportWriter;
import org.mnistpipeline.training.TrainingArtifact;
import org.mnistpipeline.training.TrainingInfo;

/**
 * The release sequence, written once and engine-free, for {@code mnist train}, {@code mnist demo},
 * {@code mnist sagemaker-train} and the pipeline's evaluate and register steps alike:
 *
 * <ol>
 *   <li>{@link #evaluate}: export the artefact to ONNX and score it once, in ONNX Runtime as it will be
 *       served, on the test set: the evaluation (core's Evaluator), the drift baseline from the same
 *       predictions, and the report;</li>
 *   <li>optionally {@link #checkInt8}: an int8 variant, accepted only within a tolerance;</li>
 *   <li>{@link #register} (a new registry version) or {@link #writePackage} (a sealed package in a
 *       given directory, SageMaker's {@code /opt/ml/model}): record what the earlier steps produced
 *       (weights, manifest with metrics and provenance, training log, report, {@code model.onnx}
 *       naming its version, {@code baseline.json}). Nothing is trained or scored again.</li>
 * </ol>
 */
public final class ReleaseService {
    public static final String ONNX_FILE = LocalModelLoader.MODEL_FILE;
    public static final String INT8_FILE = "model-int8.onnx";
    public static final String WEIGHTS_FILE = TrainingArtifact.WEIGHTS;
    public static final String TRAINING_LOG = "training/metrics.jsonl";
    /** The version an ONNX graph names before registration gives it one. */
    static final String CANDIDATE = "candidate";

    private final Consumer<String> log;

    public ReleaseService(Consumer<String> log) {
        this.log = log;
    }

    /** What int8 quantization did, measured in ONNX Runtime on the test set. */
    public record QuantizationCheck(double floatAccuracy, double int8Accuracy, long floatBytes, long int8Bytes) {
        public double dropPoints() {
            return (floatAccuracy - int8Accuracy) * 100;
        }

        public double sizeRatio() {
            return (double) floatBytes / int8Bytes;
        }
    }

    /**
     * Scores {@code artifact} once on {@code test} in ONNX Runtime and writes the result (the scored
     * graph, the evaluation, the baseline, the report) into {@code dir}, replacing what was there.
     */
    public EvaluatedModel evaluate(TrainingArtifact artifact, LabeledImages test, Path dir) {
        TrainingInfo info = artifact.info();
        log.accept("evaluating in ONNX Runtime on the test set (" + test.size() + " images)...");
        byte[] onnx = OnnxExporter.export(info.architecture(), artifact.weights(), CANDIDATE);
        OnnxScoring.Scored scored = OnnxScoring.evaluate(onnx, CANDIDATE, test,
                "test set (" + test.size() + " images)");
        clear(dir);
        EvaluatedModel model = new EvaluatedModel(dir, artifact, onnx, scored.evaluation(), scored.baseline());
        model.write();
        ReportWriter.write(model.report(), new ReportInput("MNIST model - test set", reportFacts(info.architecture(),
                info.hyperparameters(), info.data(), info.trainingSeconds(), null, null, info.provenance()),
                scored.evaluation(), info.history(), test));
        return model;
    }

    /**
     * Scores the int8 variant of {@code model} on {@code test}; refused with a {@link GateException}
     * when it loses more than {@code tolerancePoints} of the float model's test accuracy.
     */
    public QuantizationCheck checkInt8(EvaluatedModel model, LabeledImages test, double tolerancePoints) {
        byte[] int8 = int8(model, CANDIDATE);
        QuantizationCheck check = new QuantizationCheck(model.test().accuracy(),
                OnnxScoring.accuracy(int8, CANDIDATE + "-int8", test), model.onnx().length, int8.length);
        log.accept(String.format(Locale.ROOT, "int8: %.2fx smaller, test accuracy %.2f%% -> %.2f%% (%+.2f points)",
                check.sizeRatio(), check.floatAccuracy() * 100, check.int8Accuracy() * 100, -check.dropPoints()));
        if (check.dropPoints() > tolerancePoints) {
            throw new GateException(String.format(Locale.ROOT,
                    "int8 quantization loses %.2f points of test accuracy (tolerance %.2f); model not registered",
                    check.dropPoints(), tolerancePoints));
        }
        return check;
    }

    /**
     * Registers {@code model} as the next version: staged in {@code staging} (cleared first), stored
     * by the registry, then given the files that name the version ({@code model.onnx},
     * {@code baseline.json}, and with {@code int8} the quantized graph).
     *
     * @param provenance entries added to the training provenance (lineage, the run that made it)
     * @return the manifest as registered
     */
    public ModelManifest register(ModelRegistry registry, EvaluatedModel model, Path staging, String parent,
            Map<String, String> provenance, boolean int8) {
        stage(staging, model, "", parent, provenance);
        ModelManifest registered = registry.register(staging);
        registry.addFiles(registered.version(), versionedFiles(model, registered.version(), int8));
        log.accept(String.format(Locale.ROOT, "registered %s (test accuracy %.2f%%)", registered.version(),
                model.test().accuracy() * 100));
        return registered;
    }

    /**
     * Writes {@code model} as a sealed package of version {@code version} into {@code dir} (which may
     * exist; files of an earlier attempt are replaced): what SageMaker's {@code /opt/ml/model} holds
     * for the serving container.
     */
    public ModelPackage writePackage(Path dir, EvaluatedModel model, String version, String parent,
            Map<String, String> provenance) {
        stage(dir, model, version, parent, provenance);
        versionedFiles(model, version, false).forEach((name, bytes) -> AtomicFiles.write(dir.resolve(name), bytes));
        return ModelPackage.seal(dir);
    }

    private void stage(Path dir, EvaluatedModel model, String version, String parent,
            Map<String, String> provenance) {
        TrainingInfo info = model.artifact().info();
        try {
            Files.createDirectories(dir);
            try (Stream<Path> old = Files.list(dir)) {
                for (Path p : old.toList()) {
                    FileTrees.delete(p);
                }
            }
            WeightsFile.write(dir.resolve(WEIGHTS_FILE), model.artifact().weightList());
            StringBuilder lines = new StringBuilder();
            info.history().forEach(m -> lines.append(Json.compact(m)).append('\n'));
            AtomicFiles.writeString(dir.resolve(TRAINING_LOG), lines.toString());
            FileTrees.copy(model.report(), dir.resolve(EvaluatedModel.REPORT));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage model package in " + dir, e);
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("test_accuracy", model.test().accuracy());
        metrics.put("test_log_loss", model.test().logLoss());
        metrics.put("test_ece", model.test().expectedCalibrationError());
        metrics.put("validation_accuracy", info.bestValidationAccuracy());
        metrics.put("best_epoch", (double) info.bestEpoch());
        metrics.put("epochs_trained", (double) info.history().size());
        metrics.put("training_seconds", info.trainingSeconds());
        metrics.put("parameters", (double) info.architecture().parameterCount());
        Map<String, String> allProvenance = new LinkedHashMap<>(new java.util.TreeMap<>(info.provenance()));
        allProvenance.putAll(provenance);
        Json.writeAtomically(dir.resolve(ModelPackage.MANIFEST), new ModelManifest(ModelManifest.FORMAT_VERSION,
                version, Instant.now().toString(), info.architecture(), info.hyperparameters(), info.data(), metrics,
                parent, allProvenance, WEIGHTS_FILE));
    }

    /** The files that name the version: exported again with it (same graph, same weights), and the baseline. */
    private static Map<String, byte[]> versionedFiles(EvaluatedModel model, String version, boolean int8) {
        TrainingInfo info = model.artifact().info();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(ONNX_FILE, OnnxExporter.export(info.architecture(), model.artifact().weights(), version));
        files.put(Baseline.FILE, model.baseline().forVersion(version).toJson());
        if (int8) {
            files.put(INT8_FILE, int8(model, version));
        }
        return files;
    }

    private static byte[] int8(EvaluatedModel model, String version) {
        return OnnxExporter.export(model.artifact().info().architecture(), model.artifact().weights(), version,
                Quantization.INT8);
    }

    /** A version's {@code model.onnx}, or one exported from its weights if it was registered before export existed. */
    public static byte[] onnxOf(ModelPackage pkg) {
        Path file = pkg.dir().resolve(ONNX_FILE);
        try {
            if (Files.exists(file)) {
                return Files.readAllBytes(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        ModelManifest m = pkg.manifest();
        return OnnxExporter.export(m.architecture(), WeightsFile.read(pkg.weights()), m.version());
    }

    /** The facts a report shows about a model, in order. */
    public static Map<String, String> reportFacts(ModelManifest m) {
        java.util.SequencedMap<String, String> facts = reportFacts(m.architecture(), m.hyperparameters(), m.data(),
                m.metrics().getOrDefault("training_seconds", Double.NaN), m.parent(), m.createdAt(), m.provenance());
        facts.putFirst("Version", m.version());
        return facts;
    }

    private static java.util.SequencedMap<String, String> reportFacts(ArchitectureSpec architecture,
            Hyperparameters hp, ModelManifest.DataInfo data, double trainingSeconds, String parent, String createdAt,
            Map<String, String> provenance) {
        java.util.SequencedMap<String, String> facts = new LinkedHashMap<>();
        facts.put("Architecture", architecture.name() + " (" + architecture.parameterCount() + " parameters)");
        if (createdAt != null) {
            facts.put("Created", createdAt);
        }
        facts.put("Data", data.source() + " (fingerprint " + data.fingerprint().shortId() + ")");
        facts.put("Images", String.format(Locale.ROOT, "train %d, validation %d, test %d", data.trainImages(),
                data.validationImages(), data.testImages()));
        facts.put("Hyperparameters", Json.compact(hp));
        facts.put("Training time", String.format(Locale.ROOT, "%.0f s", trainingSeconds));
        if (parent != null) {
            facts.put("Parent", parent);
        }
        new java.util.TreeMap<>(provenance).forEach(facts::put);
        return facts;
    }

    private static void clear(Path dir) {
        try {
            FileTrees.delete(dir);
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }
}
