package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.registry.ObjectModelRegistry;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.ObjectPath;

/**
 * The function loading a pinned model version from S3 ({@code MODEL_URI}, moto's server) at init:
 * under AWS's runtime interface client in its own JVM, and in process to show that what a
 * SnapStart snapshot holds needs S3 no more, and that a damaged object is refused.
 */
class S3ModelTest {
    private static MotoBucket motoBucket;
    private static org.mnistpipeline.testsupport.MotoServer moto;
    private static S3Objects s3;

    @TempDir
    Path tmp;

    private ObjectPath version;

    @BeforeAll
    static void start() throws Exception {
        motoBucket = MotoBucket.start();
        moto = motoBucket.moto;
        s3 = motoBucket.storage;
    }

    @AfterAll
    static void stop() throws Exception {
        if (motoBucket != null) {
            motoBucket.close();
        }
    }

    /** The fixture package (small CNN, v1) uploaded where a registry on S3 keeps version v1. */
    @BeforeEach
    void uploadVersion() throws Exception {
        String bucket = "mnist-models-" + Long.toHexString(System.nanoTime());
        moto.createBucket(bucket);
        version = new ObjectPath(bucket, "home/registry/models/v1");
        for (String file : List.of("manifest.json", "model.onnx", "SHA256SUMS")) {
            s3.upload(version.resolve(file), Harness.modelDir().resolve(file));
        }
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>(moto.environment());
        env.put(FunctionModels.MODEL_URI, version.toString());
        return env;
    }

    private ModelLoader loader() {
        return FunctionModels.loader(env(), LambdaConfig.defaults(tmp.resolve("no-model-here")));
    }

    @Test
    void underTheRuntimeClientTheFunctionStartsWithThePinnedVersionFromS3() throws Exception {
        try (LoopbackRuntimeApi api = new LoopbackRuntimeApi()) {
            api.enqueue(Harness.event("apigw-v2-png.json"));
            Path log = Path.of("target", "ric-test", "s3-model.log");
            // MODEL_DIR points at nothing: the model can only have come from MODEL_URI.
            try (RuntimeClientProcess child = RuntimeClientProcess.start(RuntimeClientProcess.HANDLER, api.address(),
                    RuntimeClientProcess.testClasspath(), tmp.resolve("no-model-here"), tmp, List.of(), env(), log)) {
                LoopbackRuntimeApi.Posted posted = api.awaitPosted(90, TimeUnit.SECONDS);
                assertThat(posted).as("child log:%n%s", child.output()).isNotNull();
                JsonNode answer = Json.mapper().readTree(posted.body());
                assertThat(answer.get("statusCode").asInt()).as(child.output()).isEqualTo(200);
                assertThat(Harness.body(answer).get("predictions").get(0).get("label").asInt()).isEqualTo(7);
                String output = Files.readString(log);
                // Loaded in the constructor (Lambda's init phase), before the invocation was taken.
                assertThat(output).contains("model loaded").contains("\"modelVersion\":\"v1\"");
                assertThat(output.indexOf("model loaded")).isLessThan(output.indexOf("\"_aws\""));
            }
        }
    }

    @Test
    void whatTheSnapshotHoldsNeedsS3NoMore() throws Exception {
        Harness h = new Harness(Harness.config(), loader(), BatchScorer.unavailable());
        h.handler.checkpointResource().beforeCheckpoint(null);
        for (String file : List.of("manifest.json", "model.onnx", "SHA256SUMS")) {
            s3.delete(version.resolve(file)); // the objects are gone; a restored environment does not notice
        }
        h.handler.checkpointResource().afterRestore(null);

        JsonNode answer = h.invoke("apigw-v2-png.json");

        assertThat(answer.get("statusCode").asInt()).isEqualTo(200);
        assertThat(Harness.body(answer).get("predictions").get(0).get("label").asInt()).isEqualTo(7);
        assertThat(Harness.body(answer).get("model_version").asText()).isEqualTo("v1");
    }

    @Test
    void aDamagedModelObjectIsRefusedAndRequestsAnswer503() throws Exception {
        byte[] onnx = Files.readAllBytes(Harness.modelDir().resolve("model.onnx"));
        onnx[onnx.length / 2] ^= 0x01;
        s3.put(version.resolve("model.onnx"), onnx);

        assertThatThrownBy(() -> loader().load()).hasMessageContaining("model.onnx checksum mismatch")
                .hasMessageContaining(version.toString());
        Harness h = new Harness(Harness.config(), loader(), BatchScorer.unavailable());
        // Init's log says where the model was to come from (MODEL_URI, not MODEL_DIR) and why it did not.
        assertThat(h.lines()).anySatisfy(line -> assertThat(line).contains("model not loaded from ObjectModelLoader["
                + version + "]").contains("checksum mismatch"));
        assertThat(h.invoke("apigw-v2-png.json").get("statusCode").asInt()).isEqualTo(503);
    }

    @Test
    void aModelUriThatNamesNoPrefixFailsInit() {
        Map<String, String> env = new HashMap<>(moto.environment());
        env.put(FunctionModels.MODEL_URI, "s3://just-a-bucket");
        assertThatThrownBy(() -> FunctionModels.loader(env, Harness.config()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a whole bucket");
        env.put(FunctionModels.MODEL_URI, "/var/task/model");
        assertThatThrownBy(() -> FunctionModels.loader(env, Harness.config()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an s3:// URI");
    }

    @Test
    void withMnistHomeInS3TheFunctionServesWhatTheAliasNamesUnlessAVersionIsPinned() throws Exception {
        ObjectPath home = new ObjectPath(version.bucket(), "home");
        Map<String, String> env = new HashMap<>(moto.environment());
        env.put(FunctionModels.HOME, home.toString());
        LambdaConfig zipModel = LambdaConfig.defaults(Harness.modelDir());
        // A fresh deployment: no production alias yet, so the model bundled in the zip.
        assertThat(FunctionModels.loader(env, zipModel)).isInstanceOf(LocalModelLoader.class);

        // A whole package registered as training does (weights included), then released with its ONNX export.
        ObjectPath otherHome = new ObjectPath(version.bucket(), "other-home");
        env.put(FunctionModels.HOME, otherHome.toString());
        ObjectModelRegistry registry = new ObjectModelRegistry(s3, otherHome.resolve("registry"), tmp.resolve("scratch"));
        Path staged = tmp.resolve("staged");
        org.mnistpipeline.io.FileTrees.copy(Path.of("../export/src/test/resources/fixtures/small-v1"), staged);
        assertThat(registry.register(staged).version()).isEqualTo("v1");
        registry.addFiles("v1", Map.of("model.onnx", Files.readAllBytes(Harness.modelDir().resolve("model.onnx"))));
        assertThat(FunctionModels.loader(env, zipModel)).isInstanceOf(LocalModelLoader.class);
        registry.promote("v1", "production");
        ModelLoader byAlias = FunctionModels.loader(env, LambdaConfig.defaults(tmp.resolve("no-model-here")));
        assertThat(byAlias.toString()).contains(otherHome.resolve("registry/models/v1").toString());
        assertThat(byAlias.load().version()).isEqualTo("v1");

        env.put(FunctionModels.VERSION, "v9"); // pinned by the pipeline's deploy states: not the alias's
        assertThat(FunctionModels.loader(env, zipModel).toString()).contains(otherHome.resolve("registry/models/v9").toString());
        env.put(FunctionModels.ALIAS, "staging");
        env.remove(FunctionModels.VERSION);
        assertThat(FunctionModels.loader(env, zipModel)).isInstanceOf(LocalModelLoader.class);
    }
}
