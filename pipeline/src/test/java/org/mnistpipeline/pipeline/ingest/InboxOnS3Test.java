package org.mnistpipeline.pipeline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.pipeline.DataStoreBatches;
import org.mnistpipeline.pipeline.DriftCheck;
import org.mnistpipeline.pipeline.PipelineHome;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RunFiles;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.steps.IngestStep;
import org.mnistpipeline.s3.MotoBucket;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.ObjectPath;

/**
 * The inbox in S3 (moto's server), as a deployed run reads it: a batch is ingested once its folder holds
 * the {@code _READY} marker (its upload finished), a folder still without one is left for a later run,
 * and the marker itself never becomes a record.
 */
class InboxOnS3Test {
    private static MotoBucket motoBucket;
    private static org.mnistpipeline.testsupport.MotoServer moto;
    private static S3Objects s3;

    @TempDir
    Path tmp;

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

    /** MNIST test images {@code from .. from+count} uploaded under {@code inbox/<name>/}, marked ready or not. */
    private void upload(ObjectPath inbox, String name, int from, int count, boolean ready) throws Exception {
        LabeledImages images = MnistDigits.test().select(IntStream.range(from, from + count).toArray());
        Path dir = tmp.resolve("sources").resolve(name);
        Idx.write(dir, "batch", images);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                s3.upload(inbox.resolve(name).resolve(file.getFileName().toString()), file);
            }
        }
        if (ready) {
            s3.put(inbox.resolve(name).resolve(RunFiles.READY), new byte[0]);
        }
    }

    @Test
    void aRunIngestsTheReadyBatchesOfAnS3InboxAndLeavesTheOthers() throws Exception {
        ObjectPath home = new ObjectPath(moto.freshBucket(), "home");
        ObjectPath inbox = home.resolve("inbox");
        upload(inbox, "monday", 0, 300, true);
        upload(inbox, "tuesday", 300, 200, false); // still uploading
        PipelineHome pipeline = PipelineHome.objects(s3, home.resolve("pipeline"), home, tmp.resolve("scratch"),
                Duration.ofMinutes(10));
        ObjectDataStore store = new ObjectDataStore(s3, home.resolve("datastore"), tmp.resolve("mirror"));
        StepContext context = new StepContext("run-1", pipeline.workDir("run-1"), null, new DataStoreBatches(store),
                pipeline.runs(), null, null, DriftCheck.NONE, line -> { }, pipeline.files("run-1"));

        assertThat(context.files().inboxBatches(inbox.toString())).containsExactly(inbox.resolve("monday").toString());
        IngestStep.Output first = new IngestStep().run(new IngestStep.Input(RetrainRequest.builder().reason("test")
                .inbox(inbox.toString()).build()), context);

        assertThat(first.batches()).hasSize(1);
        assertThat(first.newImages()).isEqualTo(300);
        assertThat(first.quarantined()).isZero(); // the empty _READY object was not taken for a record
        assertThat(store.batches()).hasSize(1);

        s3.put(inbox.resolve("tuesday").resolve(RunFiles.READY), new byte[0]);
        IngestStep.Output second = new IngestStep().run(new IngestStep.Input(RetrainRequest.builder().reason("test")
                .inbox(inbox.toString()).build()), context);
        assertThat(second.newImages()).isEqualTo(200); // monday again is a no-op
        assertThat(store.batches()).hasSize(2);
    }
}
