package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.io.Json;

class LambdaLogTest {
    @Test
    void everyInvocationWritesOneEmfLineWithTheMetricsDeclared() throws IOException {
        Harness h = new Harness();
        int before = h.lines().size();

        h.invoke("apigw-v2-png.json");
        h.invoke("apigw-v2-png.json");

        List<String> lines = h.lines().subList(before, h.lines().size());
        assertThat(lines).hasSize(2);
        JsonNode first = Json.mapper().readTree(lines.get(0));
        JsonNode second = Json.mapper().readTree(lines.get(1));
        JsonNode directive = first.get("_aws").get("CloudWatchMetrics").get(0);
        assertThat(first.get("_aws").get("Timestamp").asLong()).isPositive();
        assertThat(directive.get("Namespace").asText()).isEqualTo("MnistPipeline");
        assertThat(directive.get("Dimensions").toString()).isEqualTo("[[\"ModelVersion\"]]");
        assertThat(directive.get("Metrics").findValuesAsText("Name")).containsExactly("LatencyMs", "CacheHit",
                "Images");
        // Every declared metric and dimension has a value on the line, as EMF requires.
        assertThat(first.get("ModelVersion").asText()).isEqualTo("v1");
        assertThat(first.get("LatencyMs").isNumber()).isTrue();
        assertThat(first.get("Images").asInt()).isEqualTo(1);
        assertThat(first.get("CacheHit").asInt()).isZero();
        assertThat(second.get("CacheHit").asInt()).isEqualTo(1);
        assertThat(first.get("Status").asInt()).isEqualTo(200);
        assertThat(first.get("Route").asText()).isEqualTo("POST /invocations");
        assertThat(first.get("ColdStart").asBoolean()).isTrue();
        assertThat(second.get("ColdStart").asBoolean()).isFalse();
        assertThat(second.get("EnvironmentId").asText()).isEqualTo(h.handler.environment().id());
    }

    @Test
    void logsCarryNoPayload() {
        Harness h = new Harness();
        String body = new String(Harness.event("apigw-v2-png.json"));
        String base64 = body.substring(body.indexOf("\"body\": \"") + 9, body.indexOf("\"body\": \"") + 40);

        h.invoke("apigw-v2-png.json");
        h.invoke("apigw-v2-malformed-json.json");
        h.invoke("direct-invocation.json");

        assertThat(h.lines()).allSatisfy(line -> assertThat(line).doesNotContain(base64).doesNotContain("0.1, 0.2")
                .doesNotContain("instances"));
    }

    @Test
    void refusedRequestsAreCountedWithTheirStatusAndNoImages() throws IOException {
        Harness h = new Harness();

        h.invoke("apigw-v2-wrong-content-type.json");

        JsonNode line = Json.mapper().readTree(h.lines().getLast());
        assertThat(line.get("Status").asInt()).isEqualTo(415);
        assertThat(line.get("Images").asInt()).isZero();
    }
}
