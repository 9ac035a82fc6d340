package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.export.OnnxExporter;
import org.mnistpipeline.export.Quantization;
import org.mnistpipeline.inference.Baselines;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.model.WeightsFile.Tensor;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelRegistry;

/**
 * Registering a model the one way both `mnist train` and the pipeline's register step do: the
 * staged package becomes the next version, then the files that depend on that version are added:
 * {@code model.onnx} (which names it in its metadata), the drift-monitoring baseline and, when
 * asked, the int8 variant.
 */
public final class Releases {
    public static final String ONNX_FILE = LocalModelLoader.MODEL_FILE;
    public static final String INT8_FILE = "model-int8.onnx";

    private Releases() {}

    /** Registers {@code staging} and attaches the derived files; returns the manifest as registered. */
    public static ModelManifest register(ModelRegistry registry, Path staging, ArchitectureSpec spec,
            Map<String, Tensor> weights, LabeledImages test, boolean int8) {
        ModelManifest registered = registry.register(staging);
        String version = registered.version();
        Map<String, byte[]> files = new LinkedHashMap<>();
        byte[] onnx = OnnxExporter.export(spec, weights, version);
        files.put(ONNX_FILE, onnx);
        files.put(Baseline.FILE, baseline(onnx, version, test).toJson());
        if (int8) {
            files.put(INT8_FILE, OnnxExporter.export(spec, weights, version, Quantization.INT8));
        }
        registry.addFiles(version, files);
        return registered;
    }

    /**
     * The drift-monitoring baseline: the exported model's own predictions (ONNX Runtime, as served)
     * on the test set. The test set rather than the validation split because it is the fixed
     * holdout: the same images for every version whatever its split settings, never used to pick
     * weights, and what `mnist monitor` falls back to for packages released without a baseline.
     */
    public static Baseline baseline(byte[] onnx, String version, LabeledImages test) {
        return Baselines.compute(onnx, version, test, "test set (" + test.size() + " images)");
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
}
