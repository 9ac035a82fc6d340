package org.mnistpipeline.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.io.Json;

class PredictionEncoderTest {

    @Test
    void responseFollowsTheSageMakerShape() throws Exception {
        float[] p7 = {0.001f, 0.001f, 0.002f, 0.001f, 0.001f, 0.001f, 0.001f, 0.99f, 0.001f, 0.001f};
        float[] p2 = {0.05f, 0.05f, 0.6f, 0.05f, 0.05f, 0.05f, 0.05f, 0.05f, 0.0f, 0.05f};
        byte[] body = PredictionEncoder.encode(List.of(new Prediction(7, 0.99f, p7, "v1", 120),
                new Prediction(2, 0.6f, p2, "v1", 120)));

        JsonNode root = Json.mapper().readTree(body);
        assertThat(root.get("model_version").asText()).isEqualTo("v1");
        assertThat(root.get("predictions")).hasSize(2);
        JsonNode first = root.get("predictions").get(0);
        assertThat(first.get("label").asInt()).isEqualTo(7);
        assertThat(first.get("confidence").asDouble()).isCloseTo(0.99, within(1e-6));
        assertThat(first.get("probabilities")).hasSize(10);
        assertThat(first.get("probabilities").get(7).asDouble()).isCloseTo(0.99, within(1e-6));
        assertThat(root.get("predictions").get(1).get("label").asInt()).isEqualTo(2);
        assertThat(new String(body, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("\n")
                .startsWith("{\"predictions\":[{\"label\":7,\"confidence\":0.99,");
    }

    @Test
    void emptyResponseStillNamesTheModel() throws Exception {
        JsonNode root = Json.mapper().readTree(PredictionEncoder.encode(List.of(), "v3"));
        assertThat(root.get("predictions")).isEmpty();
        assertThat(root.get("model_version").asText()).isEqualTo("v3");
    }
}
