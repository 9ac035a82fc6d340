package org.mnistpipeline.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.model.WeightsFile.Tensor;

/** Models and images for the export tests: a real trained package on the classpath, random weights, MNIST. */
final class TestModels {
    static final String FIXTURE = "/fixtures/small-v1/";
    private static LabeledImages testImages;

    private TestModels() {}

    /** The manifest of a real 'small' model trained for 3 epochs (99.18% test accuracy). */
    static ModelManifest fixtureManifest() {
        try (InputStream in = resource("manifest.json")) {
            return Json.mapper().readValue(in, ModelManifest.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Tensor> fixtureWeights() {
        try (InputStream in = resource("weights.safetensors")) {
            return WeightsFile.read(in, FIXTURE + "weights.safetensors");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = TestModels.class.getResourceAsStream(FIXTURE + name);
        if (in == null) {
            throw new IllegalStateException("test resource " + FIXTURE + name + " is missing");
        }
        return in;
    }

    /**
     * Random weights of the right shapes for {@code spec}, made without DJL: conv and dense weights
     * scaled like He initialisation, and batch-norm statistics away from the identity (mean ≠ 0,
     * var ≠ 1, gamma ≠ 1, beta ≠ 0) so a mix-up of the four inputs would show.
     */
    static Map<String, Tensor> randomWeights(ArchitectureSpec spec, long seed) {
        Random random = new Random(seed);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        OnnxExporter.requiredTensors(spec).forEach((name, shape) -> {
            float[] data = new float[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            long fanIn = data.length / shape[0];
            for (int i = 0; i < data.length; i++) {
                data[i] = randomValue(name, fanIn, random);
            }
            weights.put(name, new Tensor(name, shape, data));
        });
        return weights;
    }

    /** One value suited to the kind of tensor {@code name} is. */
    static float randomValue(String name, long fanIn, Random random) {
        String kind = name.substring(name.indexOf('.') + 1);
        return switch (kind) {
            case "weight" -> (float) (random.nextGaussian() * Math.sqrt(2.0 / fanIn));
            case "bias", "beta", "running_mean" -> (float) (random.nextGaussian() * 0.1);
            case "gamma" -> 0.5f + random.nextFloat();
            case "running_var" -> 0.5f + 1.5f * random.nextFloat();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The MNIST test set, fetched beforehand by `./mnist data fetch` (the test command does it). */
    static synchronized LabeledImages testImages(int count) {
        if (testImages == null) {
            Path dir = Locations.fromEnvironment().dataDir();
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("MNIST not found in " + dir + "; run `./mnist data fetch` first");
            }
            testImages = IdxDirectory.load(dir).test();
        }
        return testImages.head(count);
    }

    /** Pixels in [0, 1], images one after another: the layout of the graph's input. */
    static float[] pixels(LabeledImages images) {
        float[] x = new float[images.size() * images.pixelsPerImage()];
        for (int i = 0; i < images.size(); i++) {
            images.imageAsFloats(i, x, i * images.pixelsPerImage());
        }
        return x;
    }

    static int[] argmax(float[] rowMajor, int classes) {
        int[] result = new int[rowMajor.length / classes];
        for (int r = 0; r < result.length; r++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (rowMajor[r * classes + c] > rowMajor[r * classes + best]) {
                    best = c;
                }
            }
            result[r] = best;
        }
        return result;
    }

    static float maxAbsDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    static float maxAbs(float[] a) {
        float max = 0;
        for (float v : a) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
