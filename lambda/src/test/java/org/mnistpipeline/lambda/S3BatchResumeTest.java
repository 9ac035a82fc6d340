package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.io.Json;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * S3 batch scoring against the invocation's clock, on a real S3-compatible server (moto): an object
 * too long for one invocation stops in time with its progress saved, the invocation fails so that
 * Lambda retries, and the retry continues where the uploaded output ends instead of from zero.
 * The output is 30,000 real predictions (MNIST's test set three times over), checked label by
 * label against the model run directly. And a key no URL decoder can read is a permanent error.
 */
class S3BatchResumeTest {
    private static final String BUCKET = "mnist-resume";
    private static final int COPIES = 3;
    private static final int IMAGES = 10_000 * COPIES;
    private static MotoServer moto;
    private static S3ObjectStore store;
    private static S3Client s3;
    private static List<Prediction> reference;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        moto = MotoServer.start();
        store = moto.store();
        s3 = store.client();
        s3.createBucket(b -> b.bucket(BUCKET).createBucketConfiguration(c -> c.locationConstraint(MotoServer.REGION)));
        var loaded = new LocalModelLoader(Harness.modelDir()).load();
        try (Predictor model = OnnxPredictor.fromBytes(loaded.onnx(), loaded.version(), PredictorOptions.defaults())) {
            List<float[]> images = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                images.add(MnistTestSet.floats(i));
            }
            reference = model.predictBatch(images);
        }
    }

    @AfterAll
    static void stopS3() throws Exception {
        if (store != null) {
            store.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    /** MNIST's test images {@code copies} times over, as one IDX images file. */
    private static byte[] idx(int copies, int perCopy) {
        byte[] pixels = MnistTestSet.get().pixels();
        ByteBuffer out = ByteBuffer.allocate(16 + copies * perCopy * 784).putInt(0x0803).putInt(copies * perCopy)
                .putInt(28).putInt(28);
        for (int c = 0; c < copies; c++) {
            out.put(pixels, 0, perCopy * 784);
        }
        return out.array();
    }

    /** Lambda's context as the runtime hands it over; the remaining time is the test's to say. */
    private static Context context(java.util.function.LongSupplier remainingMillis) {
        return new Context() {
            public String getAwsRequestId() {
                return "req-" + System.nanoTime();
            }

            public String getLogGroupName() {
                return null;
            }

            public String getLogStreamName() {
                return null;
            }

            public String getFunctionName() {
                return "mnist";
            }

            public String getFunctionVersion() {
                return "$LATEST";
            }

            public String getInvokedFunctionArn() {
                return null;
            }

            public CognitoIdentity getIdentity() {
                return null;
            }

            public ClientContext getClientContext() {
                return null;
            }

            public int getRemainingTimeInMillis() {
                return (int) Math.min(Integer.MAX_VALUE, remainingMillis.getAsLong());
            }

            public int getMemoryLimitInMB() {
                return 2048;
            }

            public LambdaLogger getLogger() {
                return null;
            }
        };
    }

    /**
     * An invocation's clock: 10 minutes left for the first {@code batches} times it is read (once
     * per batch of 256 images), then 5 seconds, under the scorer's 20-second margin.
     */
    private static java.util.function.LongSupplier runsOutAfter(int batches) {
        AtomicInteger reads = new AtomicInteger();
        return () -> reads.incrementAndGet() <= batches ? 600_000 : 5_000;
    }

    private Harness harness() {
        return new Harness(Harness.config(), new LocalModelLoader(Harness.modelDir()),
                new S3BatchScorer(store, S3BatchScorer.DEFAULT_BATCH_SIZE, tmp, S3BatchScorer.MIN_PART_BYTES));
    }

    private static JsonNode invoke(Harness h, byte[] event, Context context) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        h.handler.handleRequest(new ByteArrayInputStream(event), out, context);
        return Json.mapper().readTree(out.toByteArray());
    }

    private static JsonNode progress(String key) throws IOException {
        try (var in = store.open(BUCKET, key + S3BatchScorer.PROGRESS_SUFFIX)) {
            return Json.mapper().readTree(in);
        }
    }

    private static List<JsonNode> outputLines(String key) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        try (var in = store.open(BUCKET, key + S3BatchScorer.OUTPUT_SUFFIX)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                lines.add(Json.mapper().readTree(line));
            }
        }
        return lines;
    }

    private static int pendingUploads() {
        return s3.listMultipartUploads(b -> b.bucket(BUCKET)).uploads().size();
    }

    @Test
    void anObjectLeftUnfinishedAtTheDeadlineIsResumedByTheRetryNotRestarted() throws Exception {
        String key = "big/three-test-sets-idx3-ubyte";
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(idx(COPIES, 10_000)));
        Harness h = harness();
        byte[] event = S3Events.objectCreated(BUCKET, key);

        assertThatThrownBy(() -> invoke(h, event, context(runsOutAfter(100))))
                .isInstanceOf(S3EventAdapter.BatchFailed.class).hasMessageContaining("Lambda will retry");

        JsonNode saved = progress(key);
        long resumeAt = saved.get("nextIndex").asLong();
        int scoredFirst = h.modelImages();
        assertThat(scoredFirst).as("the 100 batches with time left, and the one after which time ran out").isEqualTo(101 * 256);
        assertThat(saved.get("parts")).hasSize(1);
        assertThat(resumeAt).isBetween(1L, (long) scoredFirst);
        assertThat(saved.get("images").asLong()).isEqualTo(resumeAt);
        assertThat(pendingUploads()).isEqualTo(1);
        assertThatThrownBy(() -> store.head(BUCKET, key + S3BatchScorer.OUTPUT_SUFFIX)).as("no output yet")
                .hasMessageContaining("does not exist");

        JsonNode done = invoke(h, event, context(() -> 600_000));

        assertThat(done.get("status").asInt()).as(done.toString()).isEqualTo(200);
        assertThat(done.get("images").asInt()).isEqualTo(IMAGES);
        assertThat(h.modelImages() - scoredFirst).as("the retry scored only what was not uploaded")
                .isEqualTo(IMAGES - (int) resumeAt);
        List<JsonNode> lines = outputLines(key);
        assertThat(lines).hasSize(IMAGES);
        for (int i = 0; i < IMAGES; i++) {
            assertThat(lines.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(lines.get(i).get("label").asInt()).as("line %d", i)
                    .isEqualTo(reference.get(i % 10_000).label());
        }
        assertThatThrownBy(() -> store.head(BUCKET, key + S3BatchScorer.PROGRESS_SUFFIX)).as("progress removed")
                .hasMessageContaining("does not exist");
        assertThat(pendingUploads()).isZero();
    }

    @Test
    void progressSavedForAnotherVersionOfTheObjectIsDiscardedAndItsUploadAbandoned() throws Exception {
        String key = "replaced/images-idx3-ubyte";
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(idx(COPIES, 10_000)));
        Harness h = harness();
        byte[] event = S3Events.objectCreated(BUCKET, key);
        assertThatThrownBy(() -> invoke(h, event, context(runsOutAfter(100))))
                .isInstanceOf(S3EventAdapter.BatchFailed.class);
        assertThat(pendingUploads()).isEqualTo(1);

        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(idx(1, 300))); // replaced meanwhile
        JsonNode done = invoke(h, event, context(() -> 600_000));

        assertThat(done.get("status").asInt()).isEqualTo(200);
        List<JsonNode> lines = outputLines(key);
        assertThat(lines).hasSize(300);
        assertThat(lines.getLast().get("label").asInt()).isEqualTo(reference.get(299).label());
        assertThat(pendingUploads()).isZero();
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key(key + S3BatchScorer.PROGRESS_SUFFIX)))
                .isInstanceOf(software.amazon.awssdk.services.s3.model.S3Exception.class);
    }

    @Test
    void aKeyWithBadPercentEncodingIsReportedAsPermanentAndTheOthersAreScored() throws Exception {
        String good = "encoding/ok.csv";
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            csv.append(String.join(",", java.util.Arrays.stream(MnistTestSet.bytes(i)).mapToObj(Integer::toString)
                    .toList())).append('\n');
        }
        s3.putObject(b -> b.bucket(BUCKET).key(good).contentType("text/csv"), RequestBody.fromString(csv.toString()));
        // As an event would carry it: %zz and a lone % can never be decoded.
        String event = new String(S3Events.objectCreated(BUCKET, "PLACEHOLDER", good), StandardCharsets.UTF_8)
                .replace("PLACEHOLDER", "encoding/100%zz+done%.csv");

        JsonNode answer = invoke(harness(), event.getBytes(StandardCharsets.UTF_8), context(() -> 600_000));

        assertThat(answer.get("status").asInt()).as("answered, not thrown: Lambda does not retry").isEqualTo(400);
        JsonNode bad = answer.get("results").get(0);
        assertThat(bad.get("status").asInt()).isEqualTo(400);
        assertThat(bad.get("key").asText()).isEqualTo("encoding/100%zz+done%.csv");
        assertThat(bad.get("message").asText()).contains("not valid URL encoding").contains("not retried");
        assertThat(answer.get("results").get(1).get("status").asInt()).isEqualTo(200);
        assertThat(outputLines(good)).hasSize(3);
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("encoding/100%zz+done%.csv"
                + S3BatchScorer.OUTPUT_SUFFIX))).isInstanceOf(NoSuchKeyException.class);
    }
}
