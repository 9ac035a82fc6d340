package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.http.DrawingPage;
import org.mnistpipeline.registry.ModelPackageException;

class PredictionHandlerTest {
    private final Harness h = new Harness();

    @Test
    void functionUrlPngOfARealSevenIsClassifiedWithCacheHeaders() {
        JsonNode response = h.invoke("apigw-v2-png.json");

        assertThat(response.get("statusCode").asInt()).isEqualTo(200);
        assertThat(response.get("isBase64Encoded").asBoolean()).isFalse();
        JsonNode headers = response.get("headers");
        assertThat(headers.get("content-type").asText()).isEqualTo("application/json");
        assertThat(headers.get("cache-control").asText()).isEqualTo("public, max-age=86400");
        String etag = headers.get("etag").asText();
        assertThat(etag).matches("\"[0-9a-f]{64}\"");
        assertThat(headers.get("content-location").asText()).isEqualTo("/predictions/" + etag.replace("\"", ""));
        JsonNode body = Harness.body(response);
        assertThat(body.get("model_version").asText()).isEqualTo("v1");
        assertThat(body.get("predictions").get(0).get("label").asInt()).isEqualTo(7);
        assertThat(body.get("predictions").get(0).get("probabilities")).hasSize(10);
    }

    @Test
    void functionUrlJsonTensorOnInvocationsPathIsClassified() {
        JsonNode response = h.invoke("apigw-v2-json.json");

        assertThat(response.get("statusCode").asInt()).isEqualTo(200);
        assertThat(Harness.body(response).get("predictions").get(0).get("label").asInt()).isEqualTo(7);
    }

    @Test
    void directInvocationAnswersPlainPredictionsJson() {
        JsonNode response = h.invoke("direct-invocation.json");

        assertThat(response.has("statusCode")).isFalse();
        assertThat(response.get("predictions").get(0).get("label").asInt()).isEqualTo(7);
        assertThat(response.get("model_version").asText()).isEqualTo("v1");
    }

    @Test
    void directInvocationWithoutInstancesIsA400InThePlainShape() {
        JsonNode response = h.invoke("{\"hello\": \"world\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(response.get("status").asInt()).isEqualTo(400);
        assertThat(response.get("error").asText()).contains("instances");
    }

    @Test
    void s3EventWithoutAConfiguredScorerIsAnswered501WithTheReason() {
        JsonNode response = h.invoke("s3-object-created.json");

        assertThat(response.get("status").asInt()).isEqualTo(501);
        assertThat(response.get("error").asText()).contains("S3 batch scoring is not configured");
    }

    @Test
    void s3EventReachesAPluggedBatchScorerWithDecodedKeys() {
        List<BatchScorer.S3Object> seen = new ArrayList<>();
        Harness withScorer = new Harness(Harness.config(), new org.mnistpipeline.inference.LocalModelLoader(
                Harness.modelDir()), (objects, predictor) -> {
                    seen.addAll(objects);
                    return new BatchScorer.Report(List.of(new BatchScorer.ObjectResult("out", "b.csv",
                            "s3://out/b.csv.predictions.jsonl", 4000, 0, 200, null)));
                });

        JsonNode response = withScorer.invoke("s3-object-created.json");

        assertThat(response.get("status").asInt()).isEqualTo(200);
        assertThat(response.get("images").asInt()).isEqualTo(4000);
        assertThat(seen).containsExactly(new BatchScorer.S3Object("mnist-pipeline-batches",
                "incoming/batch 2026-11-28/digits(1).npy", 3136128));
    }

    @Test
    void pingAnswersReadyWithTheModelVersion() {
        JsonNode response = h.invoke("apigw-v2-ping.json");

        assertThat(response.get("statusCode").asInt()).isEqualTo(200);
        assertThat(Harness.body(response).get("model_version").asText()).isEqualTo("v1");
    }

    @Test
    void malformedJsonBodyIs400WithTheParserComplaint() {
        JsonNode response = h.invoke("apigw-v2-malformed-json.json");

        assertThat(response.get("statusCode").asInt()).isEqualTo(400);
        assertThat(response.get("headers").get("cache-control").asText()).isEqualTo("no-store");
        assertThat(Harness.body(response).get("error").asText()).isNotBlank();
    }

    @Test
    void wrongContentTypeIs415NamingWhatIsSupported() {
        JsonNode response = h.invoke("apigw-v2-wrong-content-type.json");

        assertThat(response.get("statusCode").asInt()).isEqualTo(415);
        assertThat(Harness.body(response).get("error").asText()).contains("text/plain").contains("image/png");
    }

    @Test
    void missingContentTypeIs415() {
        JsonNode response = h.invoke(Harness.v2("POST", "/", "{}", "[0.5]", false));

        assertThat(response.get("statusCode").asInt()).isEqualTo(415);
        assertThat(Harness.body(response).get("error").asText()).contains("missing Content-Type");
    }

    @Test
    void blankImageIs400SayingThereIsNoDigit() {
        JsonNode response = h.invoke("apigw-v2-blank-image.json");

        assertThat(response.get("statusCode").asInt()).isEqualTo(400);
        assertThat(Harness.body(response).get("error").asText()).isNotBlank();
        assertThat(h.modelImages()).isZero();
    }

    @Test
    void badBase64Is400() {
        JsonNode response = h.invoke("apigw-v2-bad-base64.json");

        assertThat(response.get("statusCode").asInt()).isEqualTo(400);
        assertThat(Harness.body(response).get("error").asText()).contains("not valid base64");
    }

    @Test
    void bodyOverSixMegabytesDecodedIs413BeforeDecoding() {
        byte[] big = new byte[(int) LambdaConfig.LAMBDA_SYNC_PAYLOAD_LIMIT + 1];
        String base64 = Base64.getEncoder().encodeToString(big);

        JsonNode response = h.invoke(Harness.v2("POST", "/", "{\"content-type\":\"image/png\"}", base64, true));

        assertThat(response.get("statusCode").asInt()).isEqualTo(413);
        assertThat(Harness.body(response).get("error").asText()).contains("6291457 bytes")
                .contains("6291456 bytes");
    }

    @Test
    void bodyOfExactlySixMegabytesIsNotRefusedForItsSize() {
        byte[] limit = new byte[(int) LambdaConfig.LAMBDA_SYNC_PAYLOAD_LIMIT];
        String base64 = Base64.getEncoder().encodeToString(limit);

        JsonNode response = h.invoke(Harness.v2("POST", "/", "{\"content-type\":\"image/png\"}", base64, true));

        assertThat(response.get("statusCode").asInt()).isNotEqualTo(413); // zeros are no image: 415
    }

    @Test
    void oversizedDirectInvocationIs413() {
        byte[] event = ("{\"instances\": [" + "0,".repeat(3_200_000) + "0]}").getBytes(StandardCharsets.UTF_8);

        JsonNode response = h.invoke(event);

        assertThat(response.get("status").asInt()).isEqualTo(413);
    }

    @Test
    void unknownPathIs404ListingTheRoutes() {
        JsonNode response = h.invoke(Harness.v2("GET", "/admin", "{}", null, false));

        assertThat(response.get("statusCode").asInt()).isEqualTo(404);
        assertThat(Harness.body(response).get("error").asText()).contains("GET /ping");
    }

    @Test
    void wrongMethodIs405WithAllow() {
        JsonNode response = h.invoke(Harness.v2("GET", "/invocations", "{}", null, false));

        assertThat(response.get("statusCode").asInt()).isEqualTo(405);
        assertThat(response.get("headers").get("allow").asText()).isEqualTo("POST");
    }

    @Test
    void getRootServesTheServersDrawingPageWithItsPolicyAndPostRootStillPredicts() {
        JsonNode page = h.invoke(Harness.v2("GET", "/", "{}", null, false));

        assertThat(page.get("statusCode").asInt()).isEqualTo(200);
        assertThat(page.get("isBase64Encoded").asBoolean()).isFalse();
        assertThat(page.get("headers").get("content-type").asText()).isEqualTo("text/html; charset=utf-8");
        assertThat(page.get("headers").get("content-security-policy").asText()).contains("connect-src 'self'");
        assertThat(page.get("body").asText().getBytes(StandardCharsets.UTF_8))
                .isEqualTo(DrawingPage.response().body());
        assertThat(page.get("body").asText()).contains("x-amz-content-sha256", "crypto.subtle", "\"invocations\"");
        assertThat(h.lines()).anyMatch(l -> l.contains("\"Route\":\"GET /\"") && l.contains("\"Status\":200"));

        JsonNode prediction = h.invoke("apigw-v2-png.json"); // POST / with a PNG of a 7
        assertThat(prediction.get("statusCode").asInt()).isEqualTo(200);
        assertThat(Harness.body(prediction).get("predictions").get(0).get("label").asInt()).isEqualTo(7);
        assertThat(prediction.get("headers").has("content-security-policy")).isFalse();
    }

    @Test
    void anotherMethodOnTheRootIs405ListingBothOfItsMethods() {
        JsonNode response = h.invoke(Harness.v2("PUT", "/", "{}", null, false));

        assertThat(response.get("statusCode").asInt()).isEqualTo(405);
        assertThat(response.get("headers").get("allow").asText()).isEqualTo("GET, HEAD, POST");
    }

    @Test
    void acceptWithoutJsonIs406() {
        JsonNode response = h.invoke(Harness.v2("POST", "/", "{\"content-type\":\"application/json\","
                + "\"accept\":\"text/html\"}", "[0.5]", false));

        assertThat(response.get("statusCode").asInt()).isEqualTo(406);
    }

    @Test
    void emptyBodyIs400() {
        JsonNode response = h.invoke(Harness.v2("POST", "/", "{\"content-type\":\"image/png\"}", null, false));

        assertThat(response.get("statusCode").asInt()).isEqualTo(400);
        assertThat(Harness.body(response).get("error").asText()).contains("no body");
    }

    @Test
    void eventThatIsNotJsonIs400() {
        JsonNode response = h.invoke("not json at all".getBytes(StandardCharsets.UTF_8));

        assertThat(response.get("status").asInt()).isEqualTo(400);
        assertThat(response.get("error").asText()).contains("not valid JSON");
    }

    @Test
    void restApiPayloadV1IsRefusedWithTheFix() {
        JsonNode response = h.invoke("{\"httpMethod\":\"POST\",\"requestContext\":{},\"body\":\"x\"}"
                .getBytes(StandardCharsets.UTF_8));

        assertThat(response.get("status").asInt()).isEqualTo(400);
        assertThat(response.get("error").asText()).contains("payload format 2.0");
    }

    @Test
    void otherEventSourcesAre400() {
        JsonNode response = h.invoke("{\"Records\":[{\"eventSource\":\"aws:sqs\"}]}".getBytes(StandardCharsets.UTF_8));

        assertThat(response.get("status").asInt()).isEqualTo(400);
        assertThat(response.get("error").asText()).contains("aws:sqs");
    }

    @Test
    void initLoadsTheModelOnItsOwnThreadAndItsWarmUpLeavesNoMetricsLineAndTheColdStartToTheFirstRequest() {
        List<String> loadedOn = new ArrayList<>();
        ModelLoader recording = () -> {
            loadedOn.add(Thread.currentThread().getName());
            return new LocalModelLoader(Harness.modelDir()).load();
        };

        Harness fresh = new Harness(Harness.config(), recording, BatchScorer.unavailable());

        assertThat(loadedOn).containsExactly("model-load");
        assertThat(fresh.lines()).singleElement().asString().contains("\"model loaded\"", "\"modelVersion\":\"v1\"");
        JsonNode first = fresh.invoke("apigw-v2-png.json");
        assertThat(first.get("statusCode").asInt()).isEqualTo(200);
        assertThat(fresh.lines()).hasSize(2);
        assertThat(fresh.lines().get(1)).contains("\"ColdStart\":true", "\"Route\":\"POST /invocations\"");
    }

    @Test
    void missingModelAnswers503AndLogsWhyButNotToTheClient() {
        ModelLoader missing = () -> {
            throw new ModelPackageException("no model.onnx in /var/task/model");
        };
        Harness broken = new Harness(Harness.config(), missing, BatchScorer.unavailable());

        JsonNode ping = broken.invoke("apigw-v2-ping.json");
        JsonNode predict = broken.invoke("apigw-v2-png.json");

        assertThat(ping.get("statusCode").asInt()).isEqualTo(503);
        assertThat(predict.get("statusCode").asInt()).isEqualTo(503);
        assertThat(Harness.body(predict).get("error").asText()).contains("could not be loaded")
                .doesNotContain("/var/task");
        assertThat(broken.lines()).anyMatch(l -> l.contains("\"level\":\"ERROR\"") && l.contains("no model.onnx"));
    }
}
