package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictorOptions;

class PredictionCacheTest {
    private static OnnxPredictor model;

    @BeforeAll
    static void loadModel() {
        model = OnnxPredictor.load(new LocalModelLoader(Harness.modelDir()), PredictorOptions.defaults()
                .withIntraOpThreads(1));
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void pngAndJsonOfTheSameDigitShareOneKeyAndOneComputation() {
        Harness h = new Harness();

        JsonNode png = h.invoke("apigw-v2-png.json");
        JsonNode json = h.invoke("apigw-v2-json.json");
        JsonNode direct = h.invoke("direct-invocation.json");

        assertThat(json.get("headers").get("etag")).isEqualTo(png.get("headers").get("etag"));
        assertThat(h.modelImages()).isEqualTo(1);
        assertThat(h.handler.environment().cache.hits()).isEqualTo(2);
        assertThat(Harness.body(json)).isEqualTo(Harness.body(png));
        assertThat(direct.get("predictions")).isEqualTo(Harness.body(png).get("predictions"));
    }

    @Test
    void repeatedRequestIsAHitAndServedFromThePredictionsRoute() {
        Harness h = new Harness();
        String etag = h.invoke("apigw-v2-png.json").get("headers").get("etag").asText();
        h.invoke("apigw-v2-png.json");

        JsonNode cached = h.invoke(Harness.v2("GET", "/predictions/" + etag.replace("\"", ""), "{}", null, false));
        JsonNode revalidated = h.invoke(Harness.v2("GET", "/predictions/" + etag.replace("\"", ""),
                "{\"if-none-match\":\"" + etag.replace("\"", "\\\"") + "\"}", null, false));

        assertThat(h.modelImages()).isEqualTo(1);
        assertThat(h.handler.environment().cache.hits()).isEqualTo(1);
        assertThat(h.handler.environment().cache.misses()).isEqualTo(1);
        assertThat(cached.get("statusCode").asInt()).isEqualTo(200);
        assertThat(cached.get("headers").get("etag").asText()).isEqualTo(etag);
        assertThat(Harness.body(cached).get("predictions").get(0).get("label").asInt()).isEqualTo(7);
        assertThat(revalidated.get("statusCode").asInt()).isEqualTo(304);
        assertThat(revalidated.get("body").asText()).isEmpty();
    }

    @Test
    void predictionsRouteAnswers404ForAnUnknownKeyAnd400ForANonKey() {
        Harness h = new Harness();

        JsonNode absent = h.invoke(Harness.v2("GET", "/predictions/" + "ab".repeat(32), "{}", null, false));
        JsonNode invalid = h.invoke(Harness.v2("GET", "/predictions/seven", "{}", null, false));

        assertThat(absent.get("statusCode").asInt()).isEqualTo(404);
        assertThat(Harness.body(absent).get("error").asText()).contains("no cached prediction");
        assertThat(invalid.get("statusCode").asInt()).isEqualTo(400);
    }

    @Test
    void keyDependsOnTheModelVersion() {
        float[] image = MnistDigit.tensor();

        assertThat(PredictionCache.key(image, "v1")).isEqualTo(PredictionCache.key(image.clone(), "v1"))
                .isNotEqualTo(PredictionCache.key(image, "v2"));
    }

    @Test
    void aNewModelVersionNeverServesOldAnswers() {
        PredictionCache cache = new PredictionCache(100);
        CountingPredictor v1 = new CountingPredictor(model, "v1");
        CountingPredictor v2 = new CountingPredictor(model, "v2");
        List<float[]> image = List.of(MnistDigit.tensor());

        cache.predict(image, v1);
        PredictionCache.Answer fromV2 = cache.predict(image, v2);

        assertThat(fromV2.hits()).isZero();
        assertThat(fromV2.predictions().getFirst().modelVersion()).isEqualTo("v2");
        assertThat(v2.images.get()).isEqualTo(1);
        assertThat(cache.size()).as("v1 entries are dropped, not kept to age out").isEqualTo(1);
        assertThat(cache.peek(fromV2.keys().getFirst())).isPresent();
    }

    @Test
    void sizeIsBoundedAndTheLeastRecentlyUsedEntryGoesFirst() {
        PredictionCache cache = new PredictionCache(3);
        CountingPredictor p = new CountingPredictor(model);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            keys.add(cache.predict(List.of(stroke(i)), p).keys().getFirst());
        }
        cache.predict(List.of(stroke(0)), p); // touch 0: 1 is now the eldest

        cache.predict(List.of(stroke(3)), p);

        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.peek(keys.get(0))).isPresent();
        assertThat(cache.peek(keys.get(1))).isEmpty();
        assertThat(cache.peek(keys.get(2))).isPresent();
    }

    @Test
    void repeatedImagesWithinOneRequestRunTheModelOnce() {
        PredictionCache cache = new PredictionCache(10);
        CountingPredictor p = new CountingPredictor(model);
        float[] digit = MnistDigit.tensor();

        PredictionCache.Answer answer = cache.predict(List.of(digit, stroke(1), digit.clone()), p);

        assertThat(p.images.get()).isEqualTo(2);
        assertThat(answer.predictions()).hasSize(3);
        assertThat(answer.predictions().get(2)).isSameAs(answer.predictions().get(0));
    }

    @Test
    void concurrentIdenticalRequestsAreComputedOnce() throws Exception {
        PredictionCache cache = new PredictionCache(10);
        CountingPredictor p = new CountingPredictor(model);
        p.gate = new CountDownLatch(1);
        float[] digit = MnistDigit.tensor();
        int clients = 8;
        CountDownLatch ready = new CountDownLatch(clients);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Prediction>> answers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                answers.add(pool.submit(() -> {
                    ready.countDown();
                    return cache.predict(List.of(digit.clone()), p).predictions().getFirst();
                }));
            }
            assertThat(p.entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100); // let the others reach the in-flight future while the model is held
            p.gate.countDown();
            for (Future<Prediction> answer : answers) {
                assertThat(answer.get(10, TimeUnit.SECONDS).label()).isEqualTo(7);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(p.calls.get()).isEqualTo(1);
        assertThat(cache.misses()).isEqualTo(1);
        assertThat(cache.hits() + cache.coalesced()).isEqualTo(clients - 1);
        assertThat(cache.inFlight()).isZero();
    }

    @Test
    void aFailedComputationFailsItsWaitersAndLeavesNothingInFlight() {
        PredictionCache cache = new PredictionCache(10);
        float[] wrongSize = new float[10];

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cache.predict(List.of(wrongSize),
                new CountingPredictor(model))).isInstanceOf(RuntimeException.class);
        assertThat(cache.inFlight()).isZero();
        assertThat(cache.size()).isZero();
    }

    /** A different image per {@code n}: a vertical bar at column 4 + n. */
    private static float[] stroke(int n) {
        float[] image = new float[784];
        for (int y = 4; y < 24; y++) {
            image[y * 28 + 4 + n] = 1f;
        }
        return image;
    }
}
