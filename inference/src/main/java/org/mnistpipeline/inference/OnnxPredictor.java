package org.mnistpipeline.inference;

import org.mnistpipeline.RequestException;
import org.mnistpipeline.MnistException.Kind;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.eval.Evaluator;

/**
 * A {@link Predictor} backed by one ONNX Runtime session. The session is shared by all threads
 * (ONNX Runtime allows concurrent {@code run} calls on one session), so a server needs exactly one
 * predictor per model version.
 *
 * <p>The model must take a float tensor {@value #INPUT} of shape {@code [N, ...]} (for our exports
 * {@code [N, 1, 28, 28]}, pixels in [0, 1], normalisation inside the graph) and give
 * {@value #PROBABILITIES} {@code [N, classes]}; a model with only {@value #LOGITS} is accepted and
 * soft-maxed here.
 */
public final class OnnxPredictor implements Predictor {
    public static final String INPUT = "image";
    public static final String PROBABILITIES = "probabilities";
    public static final String LOGITS = "logits";

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions sessionOptions;
    private final OrtSession session;
    private final String version;
    private final PredictorOptions options;
    private final long[] inputDims;
    private final int inputSize;
    private final int chunkSize;
    private final String outputName;
    private final boolean softmaxHere;
    // Closing a session while another thread is inside run() would free memory under it and crash
    // the JVM; runs hold the read lock, close takes the write lock.
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private OnnxPredictor(OrtEnvironment env, OrtSession.SessionOptions sessionOptions, OrtSession session,
            String version, PredictorOptions options) throws OrtException {
        this.env = env;
        this.sessionOptions = sessionOptions;
        this.session = session;
        this.version = version;
        this.options = options;

        NodeInfo input = session.getInputInfo().get(INPUT);
        if (input == null || !(input.getInfo() instanceof TensorInfo inputInfo)) {
            throw new MnistException("ONNX model " + version + " has no tensor input named '" + INPUT + "' (inputs: "
                    + session.getInputNames() + "); export it with `mnist models export " + version + "`");
        }
        if (inputInfo.type != OnnxJavaType.FLOAT) {
            throw new MnistException("ONNX model " + version + ": input '" + INPUT + "' is " + inputInfo.type
                    + ", expected float");
        }
        long[] dims = inputInfo.getShape();
        if (dims.length < 2) {
            throw new MnistException("ONNX model " + version + ": input '" + INPUT + "' has shape "
                    + Arrays.toString(dims) + ", expected a batch dimension followed by the image dimensions");
        }
        long size = 1;
        for (int i = 1; i < dims.length; i++) {
            if (dims[i] <= 0) {
                throw new MnistException("ONNX model " + version + ": input '" + INPUT + "' has shape "
                        + Arrays.toString(dims) + "; only the batch dimension may be symbolic");
            }
            size *= dims[i];
        }
        this.inputDims = dims;
        this.inputSize = Math.toIntExact(size);
        if (dims[0] > 1) {
            throw new MnistException("ONNX model " + version + " has a fixed batch size of " + dims[0]
                    + "; export it with a symbolic batch dimension");
        }
        // A model exported with batch size 1 still works, one image per pass.
        this.chunkSize = dims[0] == 1 ? 1 : options.maxBatchSize();

        Set<String> outputs = session.getOutputNames();
        if (outputs.contains(PROBABILITIES)) {
            outputName = PROBABILITIES;
            softmaxHere = false;
        } else if (outputs.contains(LOGITS)) {
            outputName = LOGITS;
            softmaxHere = true;
        } else {
            throw new MnistException("ONNX model " + version + " has neither a '" + PROBABILITIES + "' nor a '"
                    + LOGITS + "' output (outputs: " + outputs + ")");
        }
    }

    /** Builds a predictor from the bytes of an ONNX model; {@code version} is what predictions report. */
    public static OnnxPredictor fromBytes(byte[] onnx, String version, PredictorOptions options) {
        if (version == null || version.isBlank()) {
            throw new IllegalArgumentException("model version must not be blank");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
        OrtSession session = null;
        try {
            sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
            // One graph, one branch: parallel operators would only compete with intra-op threads.
            sessionOptions.setInterOpNumThreads(1);
            sessionOptions.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(onnx, sessionOptions);
            return new OnnxPredictor(env, sessionOptions, session, version, options);
        } catch (OrtException e) {
            closeQuietly(session, sessionOptions);
            throw new MnistException("cannot load ONNX model " + version + " (" + onnx.length + " bytes): "
                    + e.getMessage() + "; re-export it with `mnist models export " + version + "`", e);
        } catch (RuntimeException e) {
            closeQuietly(session, sessionOptions);
            throw e;
        }
    }

    /** Builds a predictor from an {@code .onnx} file. */
    public static OnnxPredictor fromFile(Path onnxFile, String version, PredictorOptions options) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(onnxFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX model " + onnxFile, e);
        }
        return fromBytes(bytes, version, options);
    }

    /** Builds a predictor for a model found by {@code loader}. */
    public static OnnxPredictor load(ModelLoader loader, PredictorOptions options) {
        LoadedModel model = loader.load();
        return fromBytes(model.onnx(), model.version(), options);
    }

    @Override
    public Prediction predict(float[] image) {
        return predictBatch(List.of(checkNotNull(image, 0))).getFirst();
    }

    @Override
    public List<Prediction> predictBatch(List<float[]> images) {
        for (int i = 0; i < images.size(); i++) {
            validate(checkNotNull(images.get(i), i), i, images.size());
        }
        List<Prediction> predictions = new ArrayList<>(images.size());
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("predictor for model " + version + " is closed");
            }
            for (int from = 0; from < images.size(); from += chunkSize) {
                int to = Math.min(images.size(), from + chunkSize);
                predictions.addAll(run(images.subList(from, to)));
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return predictions;
    }

    /**
     * Runs {@code runs} single-image predictions on a blank image, so that the first real request
     * does not pay for ONNX Runtime's lazy allocations. Returns the time it took.
     */
    public Duration warmUp(int runs) {
        if (runs < 0) {
            throw new IllegalArgumentException("runs must not be negative, got " + runs);
        }
        long start = System.nanoTime();
        float[] blank = new float[inputSize];
        for (int i = 0; i < runs; i++) {
            predict(blank);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Override
    public String modelVersion() {
        return version;
    }

    @Override
    public int inputSize() {
        return inputSize;
    }

    /** Releases the native session; waits for predictions in flight. Later calls are refused. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                closeQuietly(session, sessionOptions);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "OnnxPredictor[" + version + ", input " + Arrays.toString(inputDims) + ", " + options + "]";
    }

    private List<Prediction> run(List<float[]> images) {
        int n = images.size();
        FloatBuffer input = ByteBuffer.allocateDirect(n * inputSize * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        images.forEach(input::put);
        input.rewind();
        long[] shape = inputDims.clone();
        shape[0] = n;
        long start = System.nanoTime();
        float[] scores;
        int classes;
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape);
                OrtSession.Result result = session.run(Map.of(INPUT, tensor), Set.of(outputName))) {
            OnnxTensor output = (OnnxTensor) result.get(0);
            long[] outShape = output.getInfo().getShape();
            if (outShape.length != 2 || outShape[0] != n) {
                throw new MnistException("ONNX model " + version + ": output '" + outputName + "' has shape "
                        + Arrays.toString(outShape) + ", expected [" + n + ", classes]");
            }
            classes = (int) outShape[1];
            scores = new float[n * classes];
            output.getFloatBuffer().get(scores);
        } catch (OrtException e) {
            throw new MnistException("ONNX Runtime failed to run model " + version + " on " + n + " image(s): "
                    + e.getMessage(), e);
        }
        long micros = (System.nanoTime() - start) / 1_000;
        List<Prediction> predictions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] p = Arrays.copyOfRange(scores, i * classes, (i + 1) * classes);
            if (softmaxHere) {
                softmax(p);
            }
            int label = Evaluator.argmax(p);
            predictions.add(new Prediction(label, p[label], p, version, micros));
        }
        return predictions;
    }

    private static float[] checkNotNull(float[] image, int index) {
        if (image == null) {
            throw new RequestException(Kind.BAD_INPUT, "image " + index + " is missing (null)");
        }
        return image;
    }

    private void validate(float[] image, int index, int count) {
        String which = count == 1 ? "image" : "image " + index;
        if (image.length != inputSize) {
            throw new RequestException(Kind.BAD_INPUT, which + " has " + image.length
                    + " values, expected " + inputSize + " (" + describeShape() + ")");
        }
        for (int i = 0; i < image.length; i++) {
            if (!Float.isFinite(image[i])) {
                throw new RequestException(Kind.BAD_INPUT, which + " has a non-finite value ("
                        + image[i] + ") at position " + i);
            }
        }
    }

    private String describeShape() {
        StringBuilder s = new StringBuilder();
        for (int i = 1; i < inputDims.length; i++) {
            if (inputDims[i] == 1 && inputDims.length > 3) {
                continue; // a single channel says nothing to the caller
            }
            s.append(s.isEmpty() ? "" : "×").append(inputDims[i]);
        }
        return s.toString();
    }

    static void softmax(float[] values) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.exp(values[i] - max);
            sum += values[i];
        }
        for (int i = 0; i < values.length; i++) {
            values[i] /= (float) sum;
        }
    }

    private static void closeQuietly(OrtSession session, OrtSession.SessionOptions sessionOptions) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // nothing useful to do: the process keeps running either way
            }
        }
        sessionOptions.close();
    }
}
