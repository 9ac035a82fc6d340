package org.mnistpipeline.inference;

import org.mnistpipeline.io.JsonStreams;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Response bodies in the SageMaker convention, one entry per input image in input order:
 *
 * <pre>{@code
 * {"predictions": [{"label": 7, "confidence": 0.99, "probabilities": [0.0, ..., 0.99, ...]}],
 *  "model_version": "v1"}
 * }</pre>
 *
 * Written with Jackson's streaming generator: a 10,000-image response never becomes a tree.
 */
public final class PredictionEncoder {
    public static final String CONTENT_TYPE = "application/json";

    private PredictionEncoder() {}

    /** Encodes predictions answered by {@code modelVersion} as compact UTF-8 JSON. */
    public static byte[] encode(List<Prediction> predictions, String modelVersion) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + predictions.size() * 160);
        try (JsonGenerator g = JsonStreams.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("predictions");
            for (Prediction p : predictions) {
                g.writeStartObject();
                writeFields(g, p);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("model_version", modelVersion);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode predictions", e); // cannot happen in memory
        }
        return out.toByteArray();
    }

    /** One prediction's fields, {@code label}, {@code confidence} and {@code probabilities}, into an open object. */
    public static void writeFields(JsonGenerator g, Prediction p) throws IOException {
        g.writeNumberField("label", p.label());
        g.writeNumberField("confidence", p.confidence());
        g.writeArrayFieldStart("probabilities");
        for (float probability : p.probabilities()) {
            g.writeNumber(probability);
        }
        g.writeEndArray();
    }

    /** Encodes predictions, taking the version from the first (they come from one model). */
    public static byte[] encode(List<Prediction> predictions) {
        if (predictions.isEmpty()) {
            throw new IllegalArgumentException("no predictions: pass the model version explicitly");
        }
        return encode(predictions, predictions.getFirst().modelVersion());
    }
}
