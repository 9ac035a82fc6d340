package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.pipeline.DriftCheck;
import org.mnistpipeline.pipeline.PipelineRunner;
import org.mnistpipeline.pipeline.StepContext;

/**
 * A champion worth retraining, made once per test JVM and copied for each test: the small CNN trained for two
 * epochs on the first 5,000 MNIST training images (test set: the first 2,000 test images), promoted as
 * {@code production} v1. Plus what retraining needs around it: batches of MNIST training images the champion
 * never saw, and the pipeline's steps run in this process on a home.
 */
final class RetrainFixture {
    private static Path champion;
    private static LabeledImages mnistTrain;

    private RetrainFixture() {}

    /** A fresh MNIST_HOME at {@code home} holding the champion. */
    static synchronized Path championIn(Path home) throws IOException {
        if (champion == null) {
            Path shared = Files.createTempDirectory("mnist-champion");
            Dataset mnist = IdxDirectory.load(Locations.fromEnvironment().dataDir());
            mnistTrain = mnist.train();
            Path base = shared.resolve("base");
            Idx.writeDataset(base, mnist.train().head(5000), mnist.test().head(2000));
            var trained = new CliRunner(shared.resolve("home")).run("train", "--promote", "--data", base.toString(),
                    "--architecture", "small", "--epochs", "2", "--batch-size", "64", "--validation-size", "500",
                    "--augment", "0", "--lr", "0.005");
            assertThat(trained.exitCode()).as(trained.err()).isZero();
            champion = shared.resolve("home");
        }
        FileTrees.copy(champion, home);
        return home;
    }

    /** {@code count} MNIST training images from {@code from} (beyond the champion's), shifted, as an IDX batch. */
    static synchronized Path batch(Path dir, int from, int count, String shift) {
        Idx.write(dir, "batch", images(from, count, shift));
        return dir;
    }

    /**
     * As {@link #batch}, every label one up: a consistent relabelling a model can learn, which a champion fine-tuned
     * on it alone (no replay, full learning rate) learns at the cost of the original digits.
     */
    static synchronized Path relabelledBatch(Path dir, int from, int count, String shift) {
        LabeledImages images = images(from, count, shift);
        byte[] labels = images.labels().clone();
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) ((labels[i] + 1) % 10);
        }
        Idx.write(dir, "batch", new LabeledImages(images.pixels(), labels, 28, 28, 10));
        return dir;
    }

    private static LabeledImages images(int from, int count, String shift) {
        LabeledImages images = mnistTrain.select(IntStream.range(from, from + count).toArray());
        return shift == null ? images : Shifts.apply(images, shift, 11);
    }

    /** The pipeline's steps in this process, on {@code home}, as run {@code runId}. */
    static StepContext steps(Path home, String runId) {
        Locations env = Locations.fromEnvironment();
        Context context = new Context(new Locations(env.cacheDir(), env.dataDir(), home),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return RetrainCommand.runner(context, null, DriftCheck.NONE).contextFor(runId);
    }

    /** Runs step {@code name} on {@code state} and stores its output there under {@code as}. */
    static JsonNode run(String name, ObjectNode state, StepContext context, String as) {
        JsonNode output = PipelineRunner.runStep(name, state, context);
        state.set(as, output);
        return output;
    }

    static ObjectNode state(Object request) {
        ObjectNode state = Json.mapper().createObjectNode();
        state.set("request", Json.mapper().valueToTree(request));
        return state;
    }
}
