package org.mnistpipeline.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.Evaluator;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.ModelPackager;

/**
 * Release check: a registered model's {@code model.onnx} in ONNX Runtime against the same weights
 * in DJL/PyTorch on the whole MNIST test set: identical argmax everywhere, probabilities within
 * float rounding. Usage: {@code OnnxParity VERSION OUT.json}.
 */
public final class OnnxParity {
    public static void main(String[] args) throws Exception {
        Locations locations = Locations.fromEnvironment();
        ModelPackage pkg = new LocalModelRegistry(locations.registry()).get(args[0]);
        LabeledImages test = IdxDirectory.load(locations.dataDir()).test();
        var engine = Engines.pytorch(locations.djlCache(), System.err::println);
        float[][] djl = new ModelPackager(engine, Engines.bestDevice(engine)).probabilities(
                pkg.manifest().architecture(), new ArrayList<>(WeightsFile.read(pkg.weights()).values()), test);
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < test.size(); i++) {
            float[] x = new float[test.pixelsPerImage()];
            test.imageAsFloats(i, x, 0);
            images.add(x);
        }
        List<Prediction> ort;
        try (OnnxPredictor predictor = OnnxPredictor.load(new LocalModelLoader(pkg.dir()), new PredictorOptions(2, 256))) {
            ort = predictor.predictBatch(images);
        }
        int mismatches = 0;
        int correctDjl = 0;
        int correctOrt = 0;
        double maxDiff = 0;
        for (int i = 0; i < test.size(); i++) {
            int a = Evaluator.argmax(djl[i]);
            int b = ort.get(i).label();
            mismatches += a == b ? 0 : 1;
            correctDjl += a == test.label(i) ? 1 : 0;
            correctOrt += b == test.label(i) ? 1 : 0;
            for (int k = 0; k < djl[i].length; k++) {
                maxDiff = Math.max(maxDiff, Math.abs(djl[i][k] - ort.get(i).probabilities()[k]));
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("version", pkg.manifest().version());
        r.put("images", test.size());
        r.put("argmax_mismatches", mismatches);
        r.put("max_probability_difference", maxDiff);
        r.put("accuracy_djl", (double) correctDjl / test.size());
        r.put("accuracy_onnxruntime", (double) correctOrt / test.size());
        Json.writeAtomically(Path.of(args[1]), r);
        System.out.println(Json.pretty(r));
        System.exit(mismatches == 0 ? 0 : 1);
    }
}
