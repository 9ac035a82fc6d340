package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.mnistpipeline.io.Json;

/** The fixture digit (MNIST test image 0, a 7) as the tensor its PNG preprocesses to. */
final class MnistDigit {
    private MnistDigit() {}

    static float[] tensor() {
        try {
            JsonNode values = Json.mapper().readTree(Harness.event("direct-invocation.json")).get("instances").get(0);
            float[] out = new float[values.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = values.get(i).floatValue();
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
