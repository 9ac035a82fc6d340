package org.mnistpipeline.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictorOptions;

/**
 * Measures cold start as a Lambda function sees it: from JVM start to the first answered
 * prediction, loading (and verifying) a model directory and classifying one image.
 *
 * <pre>java -cp &lt;runtime classpath&gt; org.mnistpipeline.bench.InferenceStartup MODEL_DIR [IMAGE]</pre>
 *
 * It uses the inference module only, so bench/inference-startup.sh runs it on that module's
 * classpath (plus this class), without DJL: what a Lambda function would carry.
 * Without an image a synthetic stroke (a "1") is classified, which skips image decoding.
 */
public final class InferenceStartup {
    private InferenceStartup() {}

    /**
     * @param sinceJvmStartMs JVM start to the first prediction's answer
     * @param loadMs          verifying the directory and creating the ONNX Runtime session
     * @param predictMs       preprocessing (if an image was given) and the first prediction
     */
    public record Result(String modelVersion, int label, float confidence, long sinceJvmStartMs, long loadMs,
            long predictMs) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "model %s: label %d (%.3f); first prediction %d ms after JVM start"
                    + " (load %d ms, predict %d ms)", modelVersion, label, confidence, sinceJvmStartMs, loadMs, predictMs);
        }
    }

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: InferenceStartup MODEL_DIR [IMAGE]");
            System.exit(2);
        }
        System.out.println(run(Path.of(args[0]), args.length == 2 ? Optional.of(Path.of(args[1])) : Optional.empty()));
    }

    public static Result run(Path modelDir, Optional<Path> image) {
        long start = System.nanoTime();
        try (OnnxPredictor predictor = OnnxPredictor.load(new LocalModelLoader(modelDir), PredictorOptions.defaults())) {
            long loaded = System.nanoTime();
            float[] pixels = image.map(InferenceStartup::preprocess).orElseGet(InferenceStartup::stroke);
            Prediction p = predictor.predict(pixels);
            long done = System.nanoTime();
            long wallNow = System.currentTimeMillis();
            // Read after the clock: loading java.management must not count towards start-up.
            long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
            return new Result(p.modelVersion(), p.label(), p.confidence(), wallNow - jvmStart,
                    (loaded - start) / 1_000_000, (done - loaded) / 1_000_000);
        }
    }

    private static float[] preprocess(Path file) {
        try {
            return new ImagePreprocessor().preprocess(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** A vertical stroke 20 pixels tall, centred: a "1". */
    private static float[] stroke() {
        float[] pixels = new float[ImagePreprocessor.PIXELS];
        for (int y = 4; y < 24; y++) {
            pixels[y * 28 + 13] = 1f;
            pixels[y * 28 + 14] = 1f;
        }
        return pixels;
    }
}
