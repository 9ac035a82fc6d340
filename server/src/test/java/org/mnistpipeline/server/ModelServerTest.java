package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP contract of one server with the real fixture model, batching on (the default). */
class ModelServerTest {
    private static final List<Integer> FIRST_200 = IntStream.range(0, 200).boxed().toList();

    @TempDir
    static Path tmp;
    private static ModelServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = Fixtures.startReady(Fixtures.config(Fixtures.modelDir(tmp.resolve("model"))));
        http = new Http(server.uri());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void pngJsonNpyAndCsvPredictionsAgreeAndAreAtLeast95PercentCorrect() {
        int[] fromJson = labels(http.post("/invocations", "application/json", Digits.json(FIRST_200)));
        int[] fromNpy = labels(http.post("/invocations", "application/x-npy", Digits.npy(FIRST_200)));
        int[] fromCsv = labels(http.post("/invocations", "text/csv", Digits.csv(FIRST_200)));
        int[] fromPng = new int[FIRST_200.size()];
        for (int i : FIRST_200) {
            fromPng[i] = labels(http.post("/invocations", "image/png", Digits.png(i)))[0];
        }
        int[] truth = FIRST_200.stream().mapToInt(Digits::label).toArray();

        assertThat(fromNpy).containsExactly(fromJson);
        assertThat(fromCsv).containsExactly(fromJson);
        assertThat(agreement(fromPng, fromJson)).as("PNG (preprocessed) vs tensor labels").isGreaterThanOrEqualTo(0.97);
        assertThat(agreement(fromJson, truth)).as("tensor accuracy").isGreaterThanOrEqualTo(0.95);
        assertThat(agreement(fromPng, truth)).as("PNG accuracy").isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void invocationsAnswerLabelConfidenceProbabilitiesAndModelVersion() {
        HttpResponse<String> response = http.post("/invocations", "image/png", Digits.png(0));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = Http.json(response);
        assertThat(body.path("model_version").asText()).isEqualTo("v1");
        JsonNode prediction = body.path("predictions").get(0);
        assertThat(prediction.path("label").asInt()).isEqualTo(Digits.label(0));
        assertThat(prediction.path("probabilities")).hasSize(10);
        assertThat(prediction.path("confidence").asDouble()).isGreaterThan(0.5);
    }

    @Test
    void everyImageContentTypeIsRoutedToThePreprocessor() {
        for (String type : List.of("image/png", "image/gif", "image/bmp", "application/x-image",
                "image/png; charset=binary")) {
            byte[] body = type.contains("gif") ? Digits.encode(image(3), "gif")
                    : type.contains("bmp") ? Digits.encode(image(3), "bmp") : Digits.png(3);
            HttpResponse<String> response = http.post("/invocations", type, body);
            assertThat(response.statusCode()).as(type).isEqualTo(200);
            assertThat(labels(response)[0]).as(type).isEqualTo(Digits.label(3));
        }
        byte[] jpeg = Digits.encode(rgb(image(3)), "jpeg");
        assertThat(labels(http.post("/invocations", "image/jpeg", jpeg))[0]).isEqualTo(Digits.label(3));
    }

    @Test
    void acceptOfJsonWildcardOrNothingIsHonouredAndAnythingElseAnswers406() {
        for (String accept : List.of("application/json", "*/*", "application/*", "text/html, application/json;q=0.5")) {
            assertThat(invokeWithAccept(accept).statusCode()).as(accept).isEqualTo(200);
        }
        HttpResponse<String> refused = invokeWithAccept("text/csv");

        assertThat(refused.statusCode()).isEqualTo(406);
        assertThat(error(refused)).contains("application/json");
        assertThat(invokeWithAccept("application/json;q=0").statusCode()).isEqualTo(406);
    }

    @Test
    void declaredBodyOverTheLimitAnswers413BeforeAnyOfItIsRead() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readResponse(socket);

            assertThat(answer).startsWith("HTTP/1.1 413");
            assertThat(answer).contains("over the limit of 6291456 bytes");
        }
    }

    @Test
    void bodyShorterThanItsContentLengthAnswers400() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\n"
                    + "Content-Length: 5000\r\n\r\n0,0,0,0").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.shutdownOutput(); // the client gives up 4,993 bytes short
            String answer = readResponse(socket);

            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(answer).contains("request body ended early");
        }
        assertThat(http.get("/ping").statusCode()).isEqualTo(200);
    }

    @Test
    void aClientThatSendsAnOversizedBodyAnywayReads413() {
        HttpResponse<String> response = http.post("/invocations", "text/csv", new byte[20 << 20]);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(error(response)).contains("20971520 bytes").contains("send fewer images");
        assertThat(http.get("/ping").statusCode()).isEqualTo(200);
    }

    @Test
    void chunkedBodyOverTheLimitAnswers413() {
        byte[] big = new byte[7 * 1024 * 1024];
        Arrays.fill(big, (byte) '1');
        HttpResponse<String> response = http.post("/invocations", "text/csv",
                BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))); // unknown length: chunked

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(error(response)).contains("over the limit");
    }

    @Test
    void decompressionBombAnswers413BeforeDecoding() {
        HttpResponse<String> response = http.post("/invocations", "image/png", Images.pngClaiming(50_000, 50_000));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(error(response)).contains("megapixels");
    }

    @Test
    void missingOrUnsupportedContentTypeAnswers415() {
        HttpResponse<String> missing = http.post("/invocations", null, "{}");
        HttpResponse<String> unsupported = http.post("/invocations", "application/xml", "<digit/>");

        assertThat(missing.statusCode()).isEqualTo(415);
        assertThat(error(missing)).contains("missing Content-Type");
        assertThat(unsupported.statusCode()).isEqualTo(415);
        assertThat(error(unsupported)).contains("application/xml").contains("image/png");
    }

    @Test
    void malformedTensorsAnswer400NamingTheProblem() {
        assertBadRequest(http.post("/invocations", "application/json", "{\"instances\": [[0.1, 0.2"), "JSON");
        assertBadRequest(http.post("/invocations", "application/json", "{\"instances\": [[0.1, 0.2, 0.3]]}"), "784");
        assertBadRequest(http.post("/invocations", "application/x-npy", "not a numpy file"), "npy");
        assertBadRequest(http.post("/invocations", "text/csv", "a,b,c\n"), "line 1");
        assertBadRequest(http.post("/invocations", "text/csv", "0.5,0.5\n"), "784");
    }

    @Test
    void blankOrBrokenImagesAnswer400() {
        byte[] blank = Digits.encode(new java.awt.image.BufferedImage(28, 28,
                java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png");
        byte[] png = Digits.png(0);
        byte[] truncated = Arrays.copyOf(png, png.length / 2);

        assertBadRequest(http.post("/invocations", "image/png", blank), "no ink");
        assertBadRequest(http.post("/invocations", "image/png", truncated), "PNG");
        assertBadRequest(http.post("/invocations", "image/png", new byte[0]), "empty");
    }

    @Test
    void unknownPathAnswers404AndWrongMethod405WithAllow() {
        HttpResponse<String> unknown = http.get("/predict");
        HttpResponse<String> wrongMethod = http.get("/invocations");
        HttpResponse<String> postToPing = http.post("/ping", "application/json", "{}");

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(error(unknown)).contains("/predict").contains("/invocations");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
        assertThat(postToPing.statusCode()).isEqualTo(405);
        assertThat(postToPing.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void badInputNeverAnswers500AndTheServerKeepsServing() {
        List<HttpResponse<String>> responses = new ArrayList<>();
        responses.add(http.post("/invocations", "image/png", "GIF89a not really".getBytes(StandardCharsets.UTF_8)));
        responses.add(http.post("/invocations", "application/json", "null"));
        responses.add(http.post("/invocations", "application/json", "{\"instances\": []}"));
        responses.add(http.post("/invocations", "application/json", "{\"instances\": [[\"x\"]]}"));
        responses.add(http.post("/invocations", "application/json", "[" + "-1,".repeat(783) + "-1]"));
        responses.add(http.post("/invocations", "application/x-npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'}));
        responses.add(http.post("/invocations", "text/csv", ""));
        responses.add(http.post("/invocations", "image/bmp", new byte[] {'B', 'M', 0, 0}));

        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).as(r.body()).isBetween(400, 499);
            assertThat(error(r)).isNotBlank();
        });
        assertThat(http.get("/ping").statusCode()).isEqualTo(200);
    }

    @Test
    void modelsDescribesTheLoadedModelFromItsManifest() {
        HttpResponse<String> response = http.get("/models");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Http.json(response);
        assertThat(body.path("version").asText()).isEqualTo("v1");
        assertThat(body.path("architecture").path("name").asText()).isEqualTo("small");
        assertThat(body.path("metrics").path("test_accuracy").asDouble()).isGreaterThan(0.98);
        assertThat(body.path("loaded_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(body.path("batching").path("enabled").asBoolean()).isTrue();
        assertThat(body.path("batching").path("max_batch").asInt()).isEqualTo(32);
        // What kind of source, but not where it is on the server's disk.
        assertThat(body.path("source").asText()).isEqualTo("model directory");
        assertThat(response.body()).doesNotContain(tmp.toString());
    }

    @Test
    void metricsCountRequestsLatencyBatchSizesAndTheModelInPrometheusFormat() {
        http.post("/invocations", "image/png", Digits.png(1));
        http.get("/nowhere");

        HttpResponse<String> response = http.get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        String text = response.body();
        assertThat(text).contains("# TYPE mnist_requests_total counter")
                .containsPattern("mnist_requests_total\\{path=\"/invocations\",status=\"200\"} [1-9]")
                .containsPattern("mnist_requests_total\\{path=\"other\",status=\"404\"} [1-9]")
                .contains("# TYPE mnist_request_duration_seconds histogram")
                .contains("mnist_request_duration_seconds_bucket{path=\"/invocations\",le=\"0.0005\"}")
                .contains("mnist_request_duration_seconds_bucket{path=\"/invocations\",le=\"1\"}")
                .contains("mnist_request_duration_seconds_bucket{path=\"/invocations\",le=\"+Inf\"}")
                .contains("mnist_request_duration_seconds_count{path=\"/invocations\"}")
                .contains("# TYPE mnist_batch_size histogram")
                .containsPattern("mnist_batch_size_count [1-9]")
                .contains("mnist_model_info{version=\"v1\"} 1");
        assertThat(text).doesNotContain("/nowhere");
        assertThat(text.lines().filter(l -> !l.startsWith("#")))
                .allMatch(l -> l.matches("[a-z_]+(\\{[^}]*})? [-+0-9.eE]+|[a-z_]+(\\{[^}]*})? \\+Inf"), "sample lines");
    }

    @Test
    void rootServesTheSelfContainedDrawingPage() {
        HttpResponse<String> response = http.get("/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(response.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("default-src 'none'", "connect-src 'self'"));
        String page = response.body();
        assertThat(page).contains("id=\"pad\"", "id=\"clear\"", "id=\"digit\"", "id=\"probabilities\"",
                "id=\"version\"", "invocations", "toBlob", "pointerup");
        assertThat(page).doesNotContainPattern("(src|href)=\"(https?:)?//").doesNotContain("http://", "https://");
    }

    @Test
    void sixtyFourParallelClientsAllSucceed() throws Exception {
        try (ExecutorService clients = Executors.newFixedThreadPool(64)) {
            List<Future<int[]>> answers = new ArrayList<>();
            for (int c = 0; c < 64; c++) {
                int first = c * 3;
                answers.add(clients.submit(() -> {
                    int[] labels = new int[3];
                    for (int k = 0; k < 3; k++) {
                        HttpResponse<String> r = http.post("/invocations", "application/json",
                                Digits.json(List.of(first + k)));
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        labels[k] = labels(r)[0];
                    }
                    return labels;
                }));
            }
            int correct = 0;
            for (int c = 0; c < 64; c++) {
                int[] labels = answers.get(c).get();
                for (int k = 0; k < 3; k++) {
                    correct += labels[k] == Digits.label(c * 3 + k) ? 1 : 0;
                }
            }
            assertThat(correct).isGreaterThanOrEqualTo((int) (0.95 * 192));
        }
    }

    /**
     * With Nagle's algorithm on, the last segment of a response larger than the server's write
     * buffer (about 8 KB; 50 predictions are 11 KB) waits for the client's delayed ACK: every such
     * request took at least 45 ms on loopback when measured with {@code nodelay=false}, against
     * about 10 ms with it on.
     */
    @Test
    void responsesAreNotHeldBackByNagle() {
        String fifty = Digits.json(IntStream.range(0, 50).boxed().toList());
        http.post("/invocations", "application/json", fifty); // connection opened and kept alive
        long[] micros = new long[20];
        for (int i = 0; i < micros.length; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = http.post("/invocations", "application/json", fifty);
            micros[i] = (System.nanoTime() - start) / 1000;
            assertThat(response.body().length()).isGreaterThan(8192); // the server's write buffer
        }
        Arrays.sort(micros);

        assertThat(micros[micros.length / 4]).as("fastest quarter of request times, us").isLessThan(35_000);
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("true");
    }

    @Test
    void headIsAnsweredWhereverGetIs() {
        HttpResponse<String> response = http.send(http.request("/ping")
                .method("HEAD", BodyPublishers.noBody()).build());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }

    private static HttpResponse<String> invokeWithAccept(String accept) {
        return http.send(http.request("/invocations").header("Content-Type", "image/png").header("Accept", accept)
                .POST(BodyPublishers.ofByteArray(Digits.png(0))).build());
    }

    private static void assertBadRequest(HttpResponse<String> response, String mentions) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(error(response)).containsIgnoringCase(mentions);
    }

    static String error(HttpResponse<String> response) {
        return Http.json(response).path("error").asText();
    }

    static int[] labels(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode predictions = Http.json(response).path("predictions");
        int[] labels = new int[predictions.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = predictions.get(i).path("label").asInt();
        }
        return labels;
    }

    private static double agreement(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        return same / (double) a.length;
    }

    private static java.awt.image.BufferedImage image(int index) {
        try {
            return javax.imageio.ImageIO.read(new ByteArrayInputStream(Digits.png(index)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static java.awt.image.BufferedImage rgb(java.awt.image.BufferedImage grey) {
        java.awt.image.BufferedImage out = new java.awt.image.BufferedImage(grey.getWidth(), grey.getHeight(),
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        out.getGraphics().drawImage(grey, 0, 0, null);
        return out;
    }

    /** Reads a whole HTTP/1.1 response with a Content-Length body from a raw socket. */
    static String readResponse(Socket socket) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        int length = 0;
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            out.append(line).append('\n');
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        char[] body = new char[length];
        int read = 0;
        while (read < length) {
            int n = in.read(body, read, length - read);
            if (n < 0) {
                break;
            }
            read += n;
        }
        return out.append('\n').append(body, 0, read).toString();
    }
}
