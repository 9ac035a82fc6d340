package org.mnistpipeline.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;

/** Runs an exported model in ONNX Runtime, as a serving process would. */
final class Ort implements AutoCloseable {
    /** Both outputs, each flattened row-major [N, classes]. */
    record Outputs(float[] logits, float[] probabilities) {}

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    Ort(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            session = env.createSession(model, options);
        }
    }

    OrtSession session() {
        return session;
    }

    Outputs run(float[] pixels, int count, int rows, int cols) throws OrtException {
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {count, 1, rows, cols});
                OrtSession.Result result = session.run(Map.of(OnnxExporter.INPUT, input))) {
            return new Outputs(floats(result, OnnxExporter.LOGITS), floats(result, OnnxExporter.PROBABILITIES));
        }
    }

    private static float[] floats(OrtSession.Result result, String name) {
        FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
