package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.io.Json;

class JsonTreeTest {
    private static final List<String> EVENTS = List.of("apigw-v2-png.json", "apigw-v2-json.json", "apigw-v2-ping.json",
            "apigw-v2-bad-base64.json", "direct-invocation.json", "s3-object-created.json");

    @Test
    void everyTestEventReadsToTheTreeTheObjectMapperReadsAndWritesBackToItsCompactJson() throws Exception {
        for (String name : EVENTS) {
            byte[] event = Harness.event(name);
            JsonNode mine = JsonTree.read(event);
            JsonNode mappers = Json.mapper().readTree(event);

            assertThat(mine).as(name).isEqualTo(mappers);
            assertThat(new String(JsonTree.write(mine), StandardCharsets.UTF_8)).as(name).isEqualTo(Json.compact(mappers));
        }
    }

    @Test
    void numbersKeepTheirKindsEscapesSurviveAndARepeatedKeyKeepsItsLastValue() throws Exception {
        byte[] json = ("{\"i\":7,\"l\":12345678901,\"b\":123456789012345678901234567890,\"d\":0.25,\"e\":-1.5e-7,"
                + "\"t\":true,\"n\":null,\"s\":\"\\u00e9\\n\\\"q\\\"\",\"a\":[1,[2,{}]],\"i\":8}").getBytes(StandardCharsets.UTF_8);

        JsonNode tree = JsonTree.read(json);

        assertThat(tree).isEqualTo(Json.mapper().readTree(json));
        assertThat(tree.get("i").isInt()).isTrue();
        assertThat(tree.get("i").intValue()).isEqualTo(8);
        assertThat(tree.get("l").isLong()).isTrue();
        assertThat(tree.get("b").isBigInteger()).isTrue();
        assertThat(tree.get("d").isDouble()).isTrue();
        assertThat(new String(JsonTree.write(tree), StandardCharsets.UTF_8)).isEqualTo(Json.compact(tree));
    }

    @Test
    void brokenJsonIsJacksonsOwnParseErrorAndEmptyInputIsNoTree() throws Exception {
        assertThatThrownBy(() -> JsonTree.read("{\"a\": [1, 2".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(JsonProcessingException.class);
        assertThat(JsonTree.read(new byte[0])).isNull();
    }
}
