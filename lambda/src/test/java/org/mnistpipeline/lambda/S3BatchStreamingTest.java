package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The batch path streams: a JSON-lines object larger than the function's whole Java heap is scored
 * by the handler in its own JVM under the runtime interface client, with {@code -Xmx} set below
 * the object's size. Holding the object, or all its images, would end in an OutOfMemoryError.
 */
class S3BatchStreamingTest {
    private static final int LINES = 15_000;
    private static final int HEAP_MB = 40;

    @TempDir
    Path tmp;

    @Test
    void anObjectLargerThanTheHeapIsScoredInFull() throws Exception {
        Path object = tmp.resolve("big.jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(object, StandardCharsets.UTF_8)) {
            for (int i = 0; i < LINES; i++) {
                w.write("[" + S3BatchScoringTest.join(MnistTestSet.floats(i % 10_000)) + "]\n");
            }
        }
        long size = Files.size(object);
        assertThat(size).as("object bytes").isGreaterThan(HEAP_MB * 1024L * 1024 * 3 / 2);

        try (MotoServer moto = MotoServer.start(); S3Client s3 = moto.store().client()) {
            String bucket = "mnist-big";
            String key = "large/test set x1.5.jsonl";
            s3.createBucket(b -> b.bucket(bucket).createBucketConfiguration(c -> c.locationConstraint(MotoServer.REGION)));
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(object));

            try (LoopbackRuntimeApi api = new LoopbackRuntimeApi()) {
                api.enqueue(S3Events.objectCreated(bucket, key));
                Path log = Path.of("target", "s3-streaming-test", "child.log");
                Path taskRoot = Files.createDirectories(tmp.resolve("task"));
                try (RuntimeClientProcess child = RuntimeClientProcess.start(RuntimeClientProcess.HANDLER,
                        api.address(), RuntimeClientProcess.testClasspath(), Harness.modelDir(), taskRoot,
                        List.of("-Xmx" + HEAP_MB + "m", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + tmp),
                        moto.environment(), log)) {
                    LoopbackRuntimeApi.Posted posted = api.awaitPosted(120, TimeUnit.SECONDS);
                    assertThat(posted).as("child log:%n%s", child.output()).isNotNull();
                    assertThat(posted.kind()).as(child.output()).isEqualTo("response");
                    JsonNode answer = Json.mapper().readTree(posted.body());
                    assertThat(answer.get("status").asInt()).as(posted.body()).isEqualTo(200);
                    assertThat(answer.get("images").asInt()).isEqualTo(LINES);
                    assertThat(answer.get("errors").asInt()).isZero();
                    assertThat(child.output()).doesNotContain("OutOfMemoryError");
                    System.out.printf("scored a %.1f MB object of %d images with -Xmx%dm in %d ms%n", size / 1e6,
                            LINES, HEAP_MB, TimeUnit.NANOSECONDS.toMillis(posted.nanoTime() - child.startNanos));
                }
            }

            // Read the output back as a stream too, checking order and labels.
            int lines = 0;
            int correct = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                    s3.getObject(b -> b.bucket(bucket).key(key + S3BatchScorer.OUTPUT_SUFFIX)), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; lines++) {
                    JsonNode p = Json.mapper().readTree(line);
                    assertThat(p.get("index").asInt()).isEqualTo(lines);
                    if (p.get("label").asInt() == MnistTestSet.get().label(lines % 10_000)) {
                        correct++;
                    }
                }
            }
            assertThat(lines).isEqualTo(LINES);
            assertThat(correct / (double) LINES).isGreaterThan(0.98);
        }
    }
}
