package org.mnistpipeline.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.ScriptedStorage;
import org.mnistpipeline.store.ObjectPath;

/** Drift summaries under an S3 prefix (moto) read back as the same summaries a directory gives. */
class ObjectSummaryStoreTest {
    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    private static MotoBucket s3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        s3 = MotoBucket.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    /** A minute of predictions of random images, counted as the server counts them. */
    private static PredictionSummary minute(int minutesAgo, long seed) {
        SummaryAccumulator acc = SummaryAccumulator.mnist();
        Random random = new Random(seed);
        for (int i = 0; i < 50; i++) {
            float[] image = new float[784];
            for (int p = 0; p < image.length; p++) {
                image[p] = random.nextFloat() < 0.2f ? random.nextFloat() : 0f;
            }
            acc.record(image, random.nextInt(10), 0.5f + random.nextFloat() / 2);
        }
        Instant start = NOW.minus(Duration.ofMinutes(minutesAgo));
        return acc.drain("v1", start, start.plusSeconds(60));
    }

    @Test
    void readsTheSameSummariesAsADirectoryAndListsOnlyFromTheSpan() throws Exception {
        ObjectPath root = s3.freshHome().resolve("monitoring");
        ScriptedStorage storage = new ScriptedStorage(s3.storage);
        SummaryStore objects = new ObjectSummaryStore(storage, root);
        SummaryStore files = SummaryStore.local(tmp.resolve("monitoring"));
        for (int ago : new int[] {60 * 24 * 3, 60 * 24 + 5, 90, 30, 2}) { // three days ago ... two minutes ago
            for (SummaryStore store : new SummaryStore[] {objects, files}) {
                store.write(minute(ago, ago), "p1-abc");
            }
        }
        s3.storage.put(root.resolve("v1/20261203T115900.000Z-torn.json"), "{\"formatVe".getBytes(StandardCharsets.UTF_8));

        SummaryStore.Found fromS3 = objects.read("v1", NOW.minus(Duration.ofHours(1)), NOW);
        SummaryStore.Found fromDisk = files.read("v1", NOW.minus(Duration.ofHours(1)), NOW);

        assertThat(fromS3.summaries()).hasSize(2).isEqualTo(fromDisk.summaries());
        assertThat(fromS3.skipped()).isEqualTo(1); // the torn object, counted, not fatal
        // Listing starts a day (the longest window) before the span: the summary of three days ago is
        // never read; the four named inside that day and the torn one are.
        assertThat(storage.calls().stream().filter(c -> c.startsWith("get ")).count()).isEqualTo(5);
        assertThat(objects.location()).isEqualTo(root.toString());
    }
}
