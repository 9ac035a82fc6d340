package org.mnistpipeline.bench;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.monitor.SummaryAccumulator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * ONNX Runtime predictor latency at batch 1, throughput at batch 64, and the cost of turning a
 * PNG into the model's input. The model package directory comes from {@code -Dmodel.dir}.
 */
@State(Scope.Benchmark)
public class InferenceBenchmarks {
    @Param({"2"})
    public int threads;

    private OnnxPredictor predictor;
    private final List<float[]> images = new ArrayList<>();
    private final List<byte[]> pngs = new ArrayList<>();
    private final ImagePreprocessor preprocessor = new ImagePreprocessor();
    private final SummaryAccumulator summary = SummaryAccumulator.mnist();
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path modelDir = Path.of(System.getProperty("model.dir"));
        predictor = OnnxPredictor.load(new LocalModelLoader(modelDir), new PredictorOptions(threads, 256));
        LabeledImages test = IdxDirectory.load(Locations.fromEnvironment().dataDir()).test().head(256);
        for (int i = 0; i < test.size(); i++) {
            float[] x = new float[784];
            test.imageAsFloats(i, x, 0);
            images.add(x);
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
                    java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            for (int p = 0; p < 784; p++) {
                int v = Math.round(x[p] * 255);
                img.getRaster().setSample(p % 28, p / 28, 0, v);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            pngs.add(out.toByteArray());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        predictor.close();
    }

    /**
     * What drift monitoring adds to each sampled prediction on the request thread: input
     * statistics (one pass over 784 floats) and seven histogram increments. Compare with
     * {@link #predictBatch1}; {@code -prof gc} shows its allocation per call.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void recordSummary() {
        next = (next + 1) & 255;
        summary.record(images.get(next), next % 10, 0.99f);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object predictBatch1() {
        next = (next + 1) & 255;
        return predictor.predict(images.get(next));
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Object predictBatch64() {
        next = (next + 64) & 255;
        return predictor.predictBatch(images.subList(next & 192, (next & 192) + 64));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object preprocessPng28() {
        next = (next + 1) & 255;
        return preprocessor.preprocess(pngs.get(next));
    }
}
