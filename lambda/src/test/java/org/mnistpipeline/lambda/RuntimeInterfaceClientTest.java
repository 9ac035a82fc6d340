package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;

/**
 * The handler in its own JVM under AWS's runtime interface client (the client the java21 managed
 * runtime runs), against a loopback Runtime API: checks the handler string, the client's JNI
 * library and the response path work end to end, not just {@code handleRequest} called directly.
 */
class RuntimeInterfaceClientTest {
    @TempDir
    Path taskRoot;

    @Test
    void runtimeInterfaceClientPostsThePredictionAndA400ForBadInput() throws Exception {
        try (LoopbackRuntimeApi api = new LoopbackRuntimeApi()) {
            api.enqueue(Harness.event("apigw-v2-png.json"));
            api.enqueue(Harness.event("apigw-v2-bad-base64.json"));
            Path log = Path.of("target", "ric-test", "child.log");
            try (RuntimeClientProcess child = RuntimeClientProcess.start(api.address(),
                    RuntimeClientProcess.testClasspath(), Harness.modelDir(), taskRoot, List.of(), log)) {
                LoopbackRuntimeApi.Posted first = api.awaitPosted(60, TimeUnit.SECONDS);
                assertThat(first).as("first posted result; child log:%n%s", child.output()).isNotNull();
                System.out.printf("RIC child JVM: process start -> first response posted: %d ms%n",
                        TimeUnit.NANOSECONDS.toMillis(first.nanoTime() - child.startNanos));
                assertThat(first.kind()).as(child.output()).isEqualTo("response");
                JsonNode ok = Json.mapper().readTree(first.body());
                assertThat(ok.get("statusCode").asInt()).isEqualTo(200);
                assertThat(Harness.body(ok).get("predictions").get(0).get("label").asInt()).isEqualTo(7);

                LoopbackRuntimeApi.Posted second = api.awaitPosted(30, TimeUnit.SECONDS);
                assertThat(second).as(child.output()).isNotNull();
                assertThat(second.kind()).isEqualTo("response");
                assertThat(second.requestId()).isNotEqualTo(first.requestId());
                JsonNode bad = Json.mapper().readTree(second.body());
                assertThat(bad.get("statusCode").asInt()).isEqualTo(400);
                assertThat(Harness.body(bad).get("error").asText()).contains("not valid base64");
                assertThat(Files.readString(log)).contains("\"_aws\"");
            }
        }
    }
}
