package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;
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

/**
 * S3 batch scoring end to end against a real S3-compatible server (moto): real MNIST test images
 * uploaded as CSV, JSON lines and the IDX file itself, S3 ObjectCreated events through the
 * handler, predictions read back from the bucket.
 */
class S3BatchScoringTest {
    private static final String BUCKET = "mnist-batches";
    private static MotoServer moto;
    private static S3ObjectStore store;
    private static S3Client s3;
    private static Predictor reference;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        moto = MotoServer.start();
        store = moto.store();
        s3 = S3Client.builder().httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                .region(software.amazon.awssdk.regions.Region.of(MotoServer.REGION))
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("testing", "testing")))
                .endpointOverride(java.net.URI.create(moto.endpoint())).forcePathStyle(true).build();
        s3.createBucket(b -> b.bucket(BUCKET).createBucketConfiguration(c -> c.locationConstraint(MotoServer.REGION)));
        var loaded = new LocalModelLoader(Harness.modelDir()).load();
        reference = OnnxPredictor.fromBytes(loaded.onnx(), loaded.version(), PredictorOptions.defaults());
    }

    @AfterAll
    static void stopS3() throws Exception {
        if (s3 != null) {
            s3.close();
            store.close();
            reference.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    private Harness harness(ObjectStore objects) {
        return new Harness(Harness.config(), new LocalModelLoader(Harness.modelDir()),
                new S3BatchScorer(objects, S3BatchScorer.DEFAULT_BATCH_SIZE, tmp));
    }

    @Test
    void csvJsonLinesAndIdxObjectsOfOneEventAreScoredNextToTheirInputs() throws Exception {
        // CSV: test images 0..999 as 0..255 integers; JSON lines: 1000..1999 as floats, every other
        // one as 28 rows of 28; IDX: MNIST's own t10k file, all 10,000.
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            csv.append(join(MnistTestSet.bytes(i))).append(i % 2 == 0 ? "\n" : "\r\n");
        }
        StringBuilder jsonl = new StringBuilder();
        for (int i = 1000; i < 2000; i++) {
            jsonl.append(i % 2 == 0 ? "[" + join(MnistTestSet.floats(i)) + "]" : rows(MnistTestSet.floats(i)))
                    .append('\n');
        }
        String csvKey = "incoming/batch 2026-11-28/digits+(1).csv";
        String jsonlKey = "incoming/batch 2026-11-28/digits.jsonl";
        String idxKey = "incoming/t10k-images-idx3-ubyte";
        put(csvKey, csv.toString().getBytes(StandardCharsets.UTF_8), "text/csv");
        put(jsonlKey, jsonl.toString().getBytes(StandardCharsets.UTF_8), "application/octet-stream");
        s3.putObject(b -> b.bucket(BUCKET).key(idxKey), RequestBody.fromFile(MnistTestSet.imagesFile()));

        // Count the bytes taken from S3 before the model sees its first image: streaming means one
        // batch's worth, not the object.
        Harness[] h = new Harness[1];
        AtomicLong readBeforeFirstBatch = new AtomicLong();
        ObjectStore counting = new ForwardingObjectStore(store) {
            @Override
            public InputStream open(String bucket, String key) {
                return new FilterInputStream(store.open(bucket, key)) {
                    long total;

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int n = super.read(b, off, len);
                        if (n > 0) {
                            total += n;
                            if (key.equals(idxKey) && h[0].predictor.get().images.get() == 12_000 - 10_000) {
                                readBeforeFirstBatch.set(total);
                            }
                        }
                        return n;
                    }
                };
            }
        };
        h[0] = harness(counting);

        JsonNode response = h[0].invoke(S3Events.objectCreated(BUCKET, csvKey, jsonlKey, idxKey));

        assertThat(response.get("status").asInt()).as(response.toString()).isEqualTo(200);
        assertThat(response.get("objects").asInt()).isEqualTo(3);
        assertThat(response.get("images").asInt()).isEqualTo(12_000);
        assertThat(response.get("errors").asInt()).isZero();
        assertThat(response.get("outputs")).extracting(JsonNode::asText).containsExactly(
                "s3://" + BUCKET + "/" + csvKey + ".predictions.jsonl",
                "s3://" + BUCKET + "/" + jsonlKey + ".predictions.jsonl",
                "s3://" + BUCKET + "/" + idxKey + ".predictions.jsonl");
        assertThat(MotoServer.keys(s3, BUCKET)).contains(csvKey + ".predictions.jsonl",
                jsonlKey + ".predictions.jsonl", idxKey + ".predictions.jsonl");

        checkPredictions(readLines(csvKey + ".predictions.jsonl"), 0, 1000);
        checkPredictions(readLines(jsonlKey + ".predictions.jsonl"), 1000, 1000);
        checkPredictions(readLines(idxKey + ".predictions.jsonl"), 0, 10_000);
        assertThat(readBeforeFirstBatch.get()).as("bytes of the 7.8 MB IDX object read before its first batch")
                .isPositive().isLessThan(1 << 20);
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key(idxKey + ".predictions.jsonl")).contentType())
                .isEqualTo("application/x-ndjson");
    }

    /** Lines in input order, labels as the model gives them directly, and MNIST accuracy. */
    private static void checkPredictions(List<JsonNode> lines, int first, int count) {
        assertThat(lines).hasSize(count);
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(MnistTestSet.floats(first + i));
        }
        List<Prediction> direct = reference.predictBatch(images);
        int correct = 0;
        for (int i = 0; i < count; i++) {
            JsonNode line = lines.get(i);
            assertThat(line.get("index").asInt()).isEqualTo(i);
            assertThat(line.get("label").asInt()).as("line %d", i).isEqualTo(direct.get(i).label());
            assertThat(line.get("probabilities")).hasSize(10);
            assertThat(line.get("confidence").floatValue()).isCloseTo(direct.get(i).confidence(),
                    org.assertj.core.data.Offset.offset(1e-4f));
            assertThat(line.get("model_version").asText()).isEqualTo("v1");
            if (line.get("label").asInt() == MnistTestSet.get().label(first + i)) {
                correct++;
            }
        }
        assertThat(correct / (double) count).as("accuracy on test images %d..%d", first, first + count - 1)
                .isGreaterThan(0.98);
    }

    @Test
    void badLinesGetErrorLinesWithTheirIndexAndTheRestIsScored() throws Exception {
        String good = join(MnistTestSet.bytes(0)); // a 7
        String csv = String.join("\n", good, "1,2,3", "pixel0,pixel1", "", join(MnistTestSet.bytes(1)),
                good.replaceFirst("^0", "-1"), "x".repeat(BatchFormat.MAX_LINE_BYTES + 10), good) + "\n";
        String jsonl = String.join("\n", "[" + join(MnistTestSet.floats(2)) + "]", "{\"instances\": [[0.1, 0.2",
                "{\"hello\": 1}", "[[" + join(MnistTestSet.floats(0)) + "], [" + join(MnistTestSet.floats(0)) + "]]",
                "{\"instances\": [[" + join(MnistTestSet.floats(3)) + "]]}");
        put("bad/mixed.csv", csv.getBytes(StandardCharsets.UTF_8), "text/csv");
        put("bad/mixed.ndjson", jsonl.getBytes(StandardCharsets.UTF_8), null);

        JsonNode response = harness(store).invoke(S3Events.objectCreated(BUCKET, "bad/mixed.csv", "bad/mixed.ndjson"));

        assertThat(response.get("status").asInt()).as(response.toString()).isEqualTo(200);
        assertThat(response.get("images").asInt()).isEqualTo(3 + 2);
        assertThat(response.get("errors").asInt()).isEqualTo(4 + 3);

        List<JsonNode> csvOut = readLines("bad/mixed.csv.predictions.jsonl");
        assertThat(csvOut).extracting(l -> l.get("index").asInt()).containsExactly(0, 1, 2, 4, 5, 6, 7);
        assertThat(csvOut.get(0).get("label").asInt()).isEqualTo(7);
        assertThat(csvOut.get(1).get("error").asText()).startsWith("line 2:").contains("784");
        assertThat(csvOut.get(2).get("error").asText()).startsWith("line 3:").contains("not a number");
        assertThat(csvOut.get(3).get("label").asInt()).isEqualTo(MnistTestSet.get().label(1));
        assertThat(csvOut.get(4).get("error").asText()).startsWith("line 6:").contains("-1");
        assertThat(csvOut.get(5).get("error").asText()).contains("longer than");
        assertThat(csvOut.get(6).get("label").asInt()).isEqualTo(7);

        List<JsonNode> jsonOut = readLines("bad/mixed.ndjson.predictions.jsonl");
        assertThat(jsonOut).extracting(l -> l.get("index").asInt()).containsExactly(0, 1, 2, 3, 4);
        assertThat(jsonOut.get(0).get("label").asInt()).isEqualTo(MnistTestSet.get().label(2));
        assertThat(jsonOut.get(1).get("error").asText()).startsWith("line 2:").contains("malformed JSON");
        assertThat(jsonOut.get(2).get("error").asText()).contains("instances");
        assertThat(jsonOut.get(3).get("error").asText()).contains("2 images");
        assertThat(jsonOut.get(4).get("label").asInt()).isEqualTo(MnistTestSet.get().label(3));
    }

    @Test
    void unsupportedObjectsAreRefusedAsAWholeWithAClearErrorAndNothingIsWritten() throws Exception {
        put("odd/notes.txt", "seven\n".getBytes(StandardCharsets.UTF_8), "text/plain");
        put("odd/t10k-labels-idx1-ubyte", new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 7}, null);
        put("odd/broken-idx3-ubyte", "not an idx file at all".getBytes(StandardCharsets.UTF_8), null);
        put("odd/plain.csv.gz", "0,0,0\n".getBytes(StandardCharsets.UTF_8), null);
        Harness h = harness(store);

        JsonNode response = h.invoke(S3Events.objectCreated(BUCKET, "odd/notes.txt", "odd/t10k-labels-idx1-ubyte",
                "odd/broken-idx3-ubyte", "odd/never-uploaded.csv", "odd/plain.csv.gz"));

        assertThat(response.get("status").asInt()).isEqualTo(415);
        JsonNode results = response.get("results");
        assertThat(results.get(0).get("status").asInt()).isEqualTo(415);
        assertThat(results.get(0).get("message").asText()).contains("text/plain", "CSV", "JSON lines", "IDX");
        assertThat(results.get(1).get("status").asInt()).isEqualTo(415);
        assertThat(results.get(1).get("message").asText()).contains("label file");
        assertThat(results.get(2).get("status").asInt()).isEqualTo(400);
        assertThat(results.get(2).get("message").asText()).contains("magic number");
        assertThat(results.get(3).get("status").asInt()).isEqualTo(404);
        assertThat(results.get(4).get("status").asInt()).isEqualTo(400);
        assertThat(results.get(4).get("message").asText()).contains("not valid gzip");
        assertThat(response.get("outputs")).isEmpty();
        assertThat(MotoServer.keys(s3, BUCKET)).noneMatch(k -> k.startsWith("odd/") && k.endsWith(".jsonl"));
        assertThat(h.lines()).anyMatch(l -> l.contains("\"level\":\"ERROR\"") && l.contains("odd/notes.txt"));
    }

    @Test
    void theScorersOwnOutputDoesNotTriggerScoringAgain() throws Exception {
        put("loop/a.csv", (join(MnistTestSet.bytes(0)) + "\n").getBytes(StandardCharsets.UTF_8), "text/csv");
        Harness h = harness(store);
        JsonNode first = h.invoke(S3Events.objectCreated(BUCKET, "loop/a.csv"));
        assertThat(first.get("images").asInt()).isEqualTo(1);

        // The upload of the output fires the bucket's notification: that event must end here.
        JsonNode second = h.invoke(S3Events.objectCreated(BUCKET, "loop/a.csv.predictions.jsonl"));

        assertThat(second.get("status").asInt()).isEqualTo(200);
        assertThat(second.get("images").asInt()).isZero();
        assertThat(second.get("results").get(0).get("status").asInt()).isEqualTo(204);
        assertThat(second.get("results").get(0).get("message").asText()).contains("own output");
        assertThat(h.modelImages()).isEqualTo(1);
        assertThat(MotoServer.keys(s3, BUCKET)).filteredOn(k -> k.startsWith("loop/"))
                .containsExactly("loop/a.csv", "loop/a.csv.predictions.jsonl");
    }

    @Test
    void numpyFloat32AndUint8ObjectsAreReadImageByImage() throws Exception {
        // float32 (300, 28, 28) with one NaN image; uint8 (200, 784), as np.save writes them.
        java.nio.ByteBuffer f32 = java.nio.ByteBuffer.allocate(300 * 784 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 300; i++) {
            for (float v : MnistTestSet.floats(i)) {
                f32.putFloat(i == 7 && f32.position() % 64 == 0 ? Float.NaN : v);
            }
        }
        byte[] u8 = java.util.Arrays.copyOfRange(MnistTestSet.get().pixels(), 300 * 784, 500 * 784);
        put("npy/f32.npy", npy("<f4", "(300, 28, 28)", f32.array()), "application/octet-stream");
        put("npy/u8", npy("|u1", "(200, 784)", u8), "application/x-npy");

        JsonNode response = harness(store).invoke(S3Events.objectCreated(BUCKET, "npy/f32.npy", "npy/u8"));

        assertThat(response.get("status").asInt()).as(response.toString()).isEqualTo(200);
        assertThat(response.get("images").asInt()).isEqualTo(299 + 200);
        List<JsonNode> f32Out = readLines("npy/f32.npy.predictions.jsonl");
        assertThat(f32Out.get(7).get("error").asText()).isEqualTo("image 7, value 0: NaN is outside [0, 1] (or 0..255 for a request in byte values)");
        List<JsonNode> ok = new ArrayList<>(f32Out);
        ok.remove(7);
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            if (i != 7) {
                images.add(MnistTestSet.floats(i));
            }
        }
        List<Prediction> direct = reference.predictBatch(images);
        for (int i = 0; i < ok.size(); i++) {
            assertThat(ok.get(i).get("label").asInt()).isEqualTo(direct.get(i).label());
        }
        checkPredictions(readLines("npy/u8.predictions.jsonl"), 300, 200);
    }

    private static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        out.write(0);
        out.write(header.length & 0xff);
        out.write(header.length >> 8);
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    @Test
    void gzippedCsvIsReadThroughOnTheFly() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(bytes)) {
            for (int i = 0; i < 300; i++) {
                gz.write((join(MnistTestSet.bytes(i)) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        put("gz/digits.csv.gz", bytes.toByteArray(), "application/gzip");

        JsonNode response = harness(store).invoke(S3Events.objectCreated(BUCKET, "gz/digits.csv.gz"));

        assertThat(response.get("images").asInt()).as(response.toString()).isEqualTo(300);
        checkPredictions(readLines("gz/digits.csv.gz.predictions.jsonl"), 0, 300);
    }

    @Test
    void unreachableS3FailsTheInvocationSoLambdaRetriesIt() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        var env = new java.util.HashMap<>(moto.environment());
        env.put(S3ObjectStore.ENDPOINT_VAR, "http://127.0.0.1:" + closedPort);
        try (S3ObjectStore nowhere = S3ObjectStore.fromEnvironment(env)) {
            Harness h = harness(nowhere);
            byte[] event = S3Events.objectCreated(BUCKET, "any/thing.csv");

            assertThatThrownBy(() -> h.handler.handle(event, "r-1"))
                    .isInstanceOf(S3EventAdapter.BatchFailed.class).hasMessageContaining("retry");
            assertThat(h.lines()).anyMatch(l -> l.contains("\"_aws\"") && l.contains("\"Status\":500"));
        }
    }

    // ------------------------------------------------------------------------------------------

    private static void put(String key, byte[] body, String contentType) {
        s3.putObject(b -> {
            b.bucket(BUCKET).key(key);
            if (contentType != null) {
                b.contentType(contentType);
            }
        }, RequestBody.fromBytes(body));
    }

    private static List<JsonNode> readLines(String key) {
        try (InputStream in = s3.getObject(b -> b.bucket(BUCKET).key(key))) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(text).endsWith("\n");
            List<JsonNode> lines = new ArrayList<>();
            for (String line : text.split("\n")) {
                lines.add(Json.mapper().readTree(line));
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String join(int[] values) {
        StringJoiner j = new StringJoiner(",");
        for (int v : values) {
            j.add(Integer.toString(v));
        }
        return j.toString();
    }

    static String join(float[] values) {
        StringJoiner j = new StringJoiner(", ");
        for (float v : values) {
            j.add(Float.toString(v));
        }
        return j.toString();
    }

    private static String rows(float[] values) {
        StringJoiner rows = new StringJoiner(", ", "[", "]");
        for (int r = 0; r < 28; r++) {
            StringJoiner row = new StringJoiner(",", "[", "]");
            for (int c = 0; c < 28; c++) {
                row.add(Float.toString(values[r * 28 + c]));
            }
            rows.add(row.toString());
        }
        return rows.toString();
    }
}
