package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.io.Json;

/**
 * A handler on the committed fixture model (small-v1), its predictor counted, its stdout captured.
 */
final class Harness {
    final PredictionHandler handler;
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final AtomicReference<CountingPredictor> predictor = new AtomicReference<>();

    Harness() {
        this(config());
    }

    Harness(LambdaConfig config) {
        this(config, new LocalModelLoader(config.modelDir()), BatchScorer.unavailable());
    }

    Harness(LambdaConfig config, ModelLoader loader, BatchScorer batch) {
        this.handler = new PredictionHandler(config, loader, loaded -> {
            CountingPredictor p = new CountingPredictor(OnnxPredictor.fromBytes(loaded.onnx(), loaded.version(),
                    PredictorOptions.defaults().withIntraOpThreads(1)));
            predictor.set(p);
            return p;
        }, batch, new PrintStream(stdout, true, StandardCharsets.UTF_8), Clock.systemUTC());
    }

    static LambdaConfig config() {
        return LambdaConfig.defaults(modelDir()).withWarmUpRuns(3);
    }

    static Path modelDir() {
        try {
            return Path.of(Harness.class.getResource("/fixtures/small-v1").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] event(String name) {
        try (InputStream in = Harness.class.getResourceAsStream("/events/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test event " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code body} field of a stored test event, as it is (base64 for a PNG). */
    static String v2Body(String name) {
        try {
            return Json.mapper().readTree(event(name)).get("body").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Invokes the handler as Lambda does, through its streams, and parses the answer. */
    JsonNode invoke(byte[] event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            handler.handleRequest(new java.io.ByteArrayInputStream(event), out, null);
            return Json.mapper().readTree(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode invoke(String resource) {
        return invoke(event(resource));
    }

    /** The body of a v2 response, parsed. */
    static JsonNode body(JsonNode response) {
        try {
            return Json.mapper().readTree(response.get("body").asText());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int modelImages() {
        return predictor.get().images.get();
    }

    /** Lines written to stdout so far. */
    List<String> lines() {
        return stdout.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** A v2 event with the given method, path, headers (JSON object text) and body. */
    static byte[] v2(String method, String path, String headersJson, String body, boolean base64) {
        StringBuilder s = new StringBuilder("{\"version\":\"2.0\",\"rawPath\":\"").append(path)
                .append("\",\"headers\":").append(headersJson)
                .append(",\"requestContext\":{\"http\":{\"method\":\"").append(method).append("\",\"path\":\"")
                .append(path).append("\"}},\"isBase64Encoded\":").append(base64);
        if (body != null) {
            s.append(",\"body\":\"").append(body).append('"');
        }
        return s.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }
}
