package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.hostile.HostileInputs;
import org.mnistpipeline.inference.hostile.ProcessMemory;
import org.mnistpipeline.io.Json;

/**
 * The hostile corpus ({@link HostileInputs}) replayed against the real function: the handler in
 * its own JVM ({@code -Xmx512m}) under AWS's runtime interface client, on a loopback Runtime API.
 * Every case as a function URL event (body base64-encoded), the JSON ones also as direct
 * invocations. Nothing escapes the handler (the client would post an error: Lambda's 502), no
 * answer is a 5xx, no message names Java or Jackson internals, a real digit is still classified
 * right afterwards, and the process stays within its heap plus the JVM's own memory.
 */
class HostileReplayTest {
    static final long NON_HEAP_MIB = 320;

    @TempDir
    Path taskRoot;

    @Test
    void hostileCorpusNeverEscapesTheHandlerNorGetsA5xx() throws Exception {
        HostileInputs corpus = HostileInputs.aroundMnistTestImage(0);
        List<HostileInputs.Case> cases = new ArrayList<>(corpus.all());
        cases.add(new HostileInputs.Case("control digit", "image/png", corpus.digitPng(), Set.of(200), false,
                corpus.digitLabel()));
        List<String> problems = new ArrayList<>();
        try (LoopbackRuntimeApi api = new LoopbackRuntimeApi()) {
            int events = 0;
            for (HostileInputs.Case c : cases) {
                api.enqueue(functionUrlEvent(c));
                events++;
                if (c.contentType() != null && c.contentType().equals("application/json")) {
                    api.enqueue(c.body());
                    events++;
                }
            }
            Path log = Path.of("target", "hostile-replay", "child.log");
            try (RuntimeClientProcess child = RuntimeClientProcess.start(api.address(),
                    RuntimeClientProcess.testClasspath(), Harness.modelDir(), taskRoot,
                    List.of("-Xmx512m", "-XX:+UseParallelGC"), log);
                    ProcessMemory memory = ProcessMemory.watch(child.process)) {
                int answered = 0;
                for (HostileInputs.Case c : cases) {
                    problems.add(judge(c, api.awaitPosted(120, TimeUnit.SECONDS), false, child));
                    answered++;
                    if (c.contentType() != null && c.contentType().equals("application/json")) {
                        problems.add(judge(c, api.awaitPosted(120, TimeUnit.SECONDS), true, child));
                        answered++;
                    }
                }
                System.out.printf("hostile replay (Lambda): %d events, %d answered; peak RSS %d MiB (-Xmx512m)%n",
                        events, answered, memory.peakMib());
                problems.removeIf(String::isEmpty);
                assertThat(problems).as("answers that broke the rules; child log:%n%s", child.output()).isEmpty();
                assertThat(child.output()).doesNotContain("OutOfMemoryError");
                assertThat(memory.peakMib()).as("peak RSS, MiB").isLessThan(512 + NON_HEAP_MIB);
            }
        }
    }

    /** What is wrong with the answer posted for {@code c}; the control digit is the last case. */
    private static String judge(HostileInputs.Case c, LoopbackRuntimeApi.Posted posted, boolean direct,
            RuntimeClientProcess child) throws Exception {
        String what = (direct ? "direct " : "function URL ") + c.name();
        if (posted == null) {
            return what + ": no answer within 120 s; child log: " + child.output();
        }
        if (!posted.kind().equals("response")) {
            return what + ": the handler threw (Lambda answers 502): " + posted.body();
        }
        JsonNode answer = Json.mapper().readTree(posted.body());
        int status;
        String body;
        if (direct) {
            status = answer.has("status") ? answer.get("status").asInt() : 200;
            body = posted.body();
        } else {
            status = answer.get("statusCode").asInt();
            body = answer.get("body").asText();
        }
        int label = -1;
        if (status == 200) {
            JsonNode predictions = direct ? answer.path("predictions") : Json.mapper().readTree(body).path("predictions");
            label = predictions.path(0).path("label").asInt(-1);
        }
        String verdict = HostileInputs.verdict(c, status, body, null, false, label);
        return verdict.isEmpty() ? "" : what + ": " + verdict;
    }

    private static byte[] functionUrlEvent(HostileInputs.Case c) {
        ObjectNode event = Json.mapper().createObjectNode().put("version", "2.0").put("rawPath", "/invocations");
        ObjectNode headers = event.putObject("headers");
        if (c.contentType() != null) {
            headers.put("content-type", c.contentType());
        }
        headers.put("content-length", Integer.toString(c.body().length));
        event.putObject("requestContext").putObject("http").put("method", "POST").put("path", "/invocations");
        event.put("isBase64Encoded", true).put("body", Base64.getEncoder().encodeToString(c.body()));
        return Json.compact(event).getBytes(StandardCharsets.UTF_8);
    }
}
