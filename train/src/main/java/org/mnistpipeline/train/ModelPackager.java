package org.mnistpipeline.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.eval.Evaluator;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.model.WeightsFile.Tensor;
import org.mnistpipeline.report.ReportInput;
import org.mnistpipeline.report.ReportWriter;

/**
 * Turns a training result into a model package directory, ready for the registry: weights,
 * a manifest with provenance, the training log and the test-set report.
 */
public final class ModelPackager {
    public static final String WEIGHTS = "weights.safetensors";
    public static final String VERSION = "0.1.0";

    private final Engine engine;
    private final Device device;

    public ModelPackager(Engine engine, Device device) {
        this.engine = engine;
        this.device = device;
    }

    /** Class probabilities of {@code weights} on {@code images}, in inference mode. */
    public float[][] probabilities(ArchitectureSpec spec, List<Tensor> weights, LabeledImages images) {
        try (NDManager manager = NDManager.newBaseManager(device)) {
            SequentialBlock net = NetworkBuilder.buildInitialized(spec, manager);
            NetworkBuilder.importWeights(net, WeightsFile.byName(weights));
            return Predictions.probabilities(net, new ParameterStore(manager, false), manager, images, 1000);
        }
    }

    /** Evaluates on {@code images} (the test set for a release). */
    public Evaluation evaluate(ArchitectureSpec spec, List<Tensor> weights, LabeledImages images) {
        float[][] probabilities = probabilities(spec, weights, images);
        int[] labels = new int[images.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = images.label(i);
        }
        return Evaluator.evaluate(labels, probabilities, images.numClasses());
    }

    /**
     * Writes a package into {@code stagingDir} (created, must not exist).
     *
     * @param parent version this model was warm-started from, or null
     */
    public ModelManifest stage(Path stagingDir, Dataset dataset, TrainingResult result, Evaluation test, String parent,
            Path runDir) {
        try {
            Files.createDirectories(stagingDir);
            WeightsFile.write(stagingDir.resolve(WEIGHTS), result.weights());
            Path log = runDir.resolve("metrics.jsonl");
            if (Files.exists(log)) {
                Files.createDirectories(stagingDir.resolve("training"));
                Files.copy(log, stagingDir.resolve("training/metrics.jsonl"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage model package in " + stagingDir, e);
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("test_accuracy", test.accuracy());
        metrics.put("test_log_loss", test.logLoss());
        metrics.put("test_ece", test.expectedCalibrationError());
        metrics.put("validation_accuracy", result.bestValidationAccuracy());
        metrics.put("best_epoch", (double) result.bestEpoch());
        metrics.put("epochs_trained", (double) result.history().size());
        metrics.put("training_seconds", result.trainingSeconds());
        metrics.put("parameters", (double) result.spec().parameterCount());
        ModelManifest manifest = new ModelManifest(ModelManifest.FORMAT_VERSION, "", Instant.now().toString(),
                result.spec(), result.hyperparameters(),
                new ModelManifest.DataInfo(dataset.source().toString(), dataset.fingerprint(),
                        result.split().train().size(), result.split().validation().size(), dataset.test().size(),
                        dataset.numClasses()),
                metrics, parent, provenance(result.device()), WEIGHTS);
        Json.writeAtomically(stagingDir.resolve("manifest.json"), manifest);
        ReportWriter.write(stagingDir.resolve("report"), new ReportInput("MNIST model - test set",
                reportFacts(manifest), test, result.history(), dataset.test()));
        return manifest;
    }

    public static Map<String, String> reportFacts(ModelManifest m) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("Architecture", m.architecture().name() + " (" + m.architecture().parameterCount() + " parameters)");
        facts.put("Created", m.createdAt());
        facts.put("Data", m.data().source() + " (fingerprint " + m.data().fingerprint().shortId() + ")");
        facts.put("Images", String.format(Locale.ROOT, "train %d, validation %d, test %d", m.data().trainImages(),
                m.data().validationImages(), m.data().testImages()));
        facts.put("Hyperparameters", Json.compact(m.hyperparameters()));
        facts.put("Training time", String.format(Locale.ROOT, "%.0f s", m.metrics().get("training_seconds")));
        if (m.parent() != null) {
            facts.put("Parent", m.parent());
        }
        m.provenance().forEach((k, v) -> facts.put(k, v));
        return facts;
    }

    private Map<String, String> provenance(String deviceName) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("mnist-pipeline", VERSION);
        p.put("djl", Engine.getDjlVersion());
        p.put("engine", engine.getEngineName() + " " + engine.getVersion());
        p.put("device", deviceName);
        p.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        p.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        return p;
    }
}
