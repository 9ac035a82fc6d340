package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Locations;

/**
 * Issue 15 over the server's own socket: admission control (503 with {@code Retry-After} before
 * the body is read, then the same request admitted once memory is free), JSON past the parser
 * limits (400, was 500), and 503 bodies that never show where the model lives on disk.
 */
class RequestLimitsTest {
    @TempDir
    Path tmp;

    @Test
    void overTheMemoryBudgetARequestIsAnswered503WithRetryAfterBeforeItsBodyIsRead() throws Exception {
        ServerConfig config = Fixtures.config(Fixtures.modelDir(tmp.resolve("model"))).toBuilder()
                .memoryBudgetBytes(8L << 20).build(); // 8 MiB: one 6 MiB body and a few small ones
        try (ModelServer server = Fixtures.startReady(config)) {
            Http http = new Http(server.uri());
            byte[] fiveMegabytes = new byte[5 << 20];
            fiveMegabytes[0] = 'x';
            // In flight, holding 5 MiB of the budget while it sends the rest of its body.
            try (SlowRequest holder = new SlowRequest(server.port(), "image/png", fiveMegabytes)) {
                Thread.sleep(200);
                HttpResponse<String> small = http.post("/invocations", "image/png", Digits.png(0));
                assertThat(small.statusCode()).as(small.body()).isEqualTo(200);

                try (Socket socket = new Socket("127.0.0.1", server.port())) {
                    socket.setSoTimeout(10_000);
                    OutputStream out = socket.getOutputStream();
                    // Headers only: the answer must come without the server reading (waiting for) the body.
                    out.write(("POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                            + "Content-Length: 4194304\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    long start = System.nanoTime();
                    String answer = ModelServerTest.readResponse(socket).toLowerCase();
                    assertThat(answer).startsWith("http/1.1 503");
                    assertThat(answer).contains("retry-after: 1").contains("connection: close")
                            .contains("the server is busy");
                    assertThat((System.nanoTime() - start) / 1e6).as("ms").isLessThan(2_000);
                }
                assertThat(holder.finish()).startsWith("HTTP/1.1 415"); // read whole, then refused for what it is
            }
            byte[] fourMegabytes = new byte[4 << 20];
            fourMegabytes[0] = 'x';
            HttpResponse<String> admitted = http.post("/invocations", "image/png", fourMegabytes);
            assertThat(admitted.statusCode()).as("memory free again: admitted, read, refused as no image")
                    .isEqualTo(415);
            assertThat(http.get("/ping").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void jsonPastTheParserLimitsAnswers400NotAnInternalError() {
        try (ModelServer server = Fixtures.startReady(Fixtures.config(Fixtures.modelDir(tmp.resolve("model"))))) {
            Http http = new Http(server.uri());
            String image = Digits.json(java.util.List.of(0));
            String instances = image.substring(1); // "instances": [...]}
            for (String body : new String[] {
                    "{\"ignored\": " + "1".repeat(1001) + ", " + instances,
                    "{\"ignored\": " + "[".repeat(1001) + "]".repeat(1001) + ", " + instances}) {
                HttpResponse<String> response = http.post("/invocations", "application/json", body);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
                assertThat(ModelServerTest.error(response)).startsWith("malformed JSON: ")
                        .containsAnyOf("longer than 1000 characters", "nested more than 1000 levels")
                        .doesNotContain("Exception").doesNotContain("`");
            }
            assertThat(http.post("/invocations", "application/json", image).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void pingAndModelsAnswer503WithoutTheModelDirectoryWhereverItWasConfigured() throws IOException {
        Path secret = Files.createDirectories(tmp.resolve("srv-secret-layout").resolve("models"));
        Locations locations = Locations.from(Map.of("MNIST_HOME", tmp.resolve("home").toString()), tmp);
        Path noSageMaker = tmp.resolve("absent");
        Map<String, ModelSource> sources = Map.of(
                "--model-dir", ModelSource.resolve(Optional.of(secret), Map.of(), noSageMaker, locations),
                ModelSource.MODEL_DIR_ENV, ModelSource.resolve(Optional.empty(),
                        Map.of(ModelSource.MODEL_DIR_ENV, secret.toString()), noSageMaker, locations),
                "/opt/ml/model", ModelSource.resolve(Optional.empty(), Map.of(), secret, locations));
        for (Map.Entry<String, ModelSource> source : sources.entrySet()) {
            assertThat(source.getValue().describe()).as("the log still says where").contains(secret.toString());
            ServerConfig config = Fixtures.config(secret).toBuilder().modelSource(source.getValue()).build();
            try (ModelServer server = ModelServer.start(config)) {
                Http http = new Http(server.uri());
                for (String path : new String[] {"/ping", "/models"}) {
                    HttpResponse<String> response = http.get(path);
                    assertThat(response.statusCode()).isEqualTo(503);
                    assertThat(response.body()).as("%s from %s", path, source.getKey())
                            .contains("no model loaded yet from the model directory")
                            .doesNotContain("srv-secret-layout").doesNotContain(tmp.toString());
                }
            }
        }
    }
}
