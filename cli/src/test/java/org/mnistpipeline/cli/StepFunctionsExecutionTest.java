package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.monitor.DriftMonitor;
import org.mnistpipeline.pipeline.DriftCheck;
import org.mnistpipeline.pipeline.PipelineRunner;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.StateMachineDefinition;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelRegistry;

/**
 * The Step Functions definition derived from the pipeline's graph, validated by
 * {@code asl-validator} and executed by a Step Functions engine ({@code aws-local-stepfunctions}),
 * each Task running the real step in its own JVM through the task contract
 * ({@code mnist retrain step NAME --state … --run-id …}). On real MNIST, four runs (an incremental
 * promotion, a fallback to a full retrain that promotes, a rejection, a failing train step) each end
 * with the same outcome, registry (versions, parents, modes, aliases) and steps as the local runner
 * given the same request, data and champion. The outcomes come from the data and the request's
 * settings alone.
 */
class StepFunctionsExecutionTest {
    private static final String RESOURCE = "arn:aws:lambda:us-east-1:123456789012:function:mnist-step";

    @TempDir
    static Path shared;
    static StepFunctionsEngine engine;
    static Path definition;
    static Path championHome;
    static LabeledImages mnistTrain;

    @TempDir
    Path tmp;

    @BeforeAll
    static void championAndEngine() throws Exception {
        engine = StepFunctionsEngine.installed();
        definition = shared.resolve("retrain.asl.json");
        Files.writeString(definition, Json.pretty(StateMachineDefinition.asl(RESOURCE)));
        mnistTrain = IdxDirectory.load(Locations.fromEnvironment().dataDir()).train();
        // The small CNN on the first 5,000 training images, made once per test JVM for every retraining test.
        championHome = RetrainFixture.championIn(shared.resolve("champion"));
    }

    @Test
    void theDerivedDefinitionPassesAslValidator() throws IOException {
        var verdict = engine.validate(definition);
        assertThat(verdict.exitCode()).as(verdict.out()).isZero();
        assertThat(verdict.out()).contains("valid");

        // A broken definition is refused, so the check above can fail.
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, Json.pretty(StateMachineDefinition.asl(RESOURCE).put("StartAt", "nowhere")));
        assertThat(engine.validate(broken).exitCode()).isNotZero();
    }

    @Test
    void anIncrementalChallengerIsPromotedAlike() throws Exception {
        Path batch = batch("thick", 50_000, 2000, "thick", Labels.TRUE);
        RetrainRequest request = RetrainRequest.builder().sources(List.of(batch.toString())).reason("test")
                .tolerancePoints(1.0).build();

        Outcome outcome = bothEngines(request);

        assertThat(outcome.local().outcome()).isEqualTo("promoted");
        assertThat(outcome.local().steps()).containsExactly("ingest:succeeded", "validate:succeeded",
                "decide:succeeded", "train:succeeded", "evaluate:succeeded", "gate:succeeded", "register:succeeded",
                "promote:succeeded", "notify:succeeded");
        assertThat(outcome.local().registry()).containsEntry("v2", "parent v1, incremental")
                .containsEntry("alias production", "v2");
        outcome.assertSame();
    }

    @Test
    void aFailedIncrementalChallengerFallsBackToAFullRetrainThatIsPromotedAlike() throws Exception {
        // A new hand (heavy, slanted strokes) with its own labelling (every label one up). Fine-tuned on
        // alone (no replay, full learning rate) the champion relabels all digits and fails on the
        // original test set; a full retrain on both can tell the hands apart and keeps the originals.
        Path batch = batch("relabelled", 52_000, 2000, "thick:2+slant:30", Labels.ONE_UP);
        RetrainRequest request = RetrainRequest.builder().sources(List.of(batch.toString())).reason("test")
                .replayRatio(0.0).learningRateScale(1.0).tolerancePoints(15.0).build();

        Outcome outcome = bothEngines(request);

        assertThat(outcome.local().outcome()).as(outcome.local().log()).isEqualTo("promoted");
        assertThat(outcome.local().steps()).containsExactly("ingest:succeeded", "validate:succeeded",
                "decide:succeeded", "train:succeeded", "evaluate:succeeded", "gate:succeeded", "train:succeeded",
                "evaluate:succeeded", "gate:succeeded", "register:succeeded", "promote:succeeded", "notify:succeeded");
        assertThat(outcome.local().registry()).containsEntry("v2", "parent v1, full")
                .containsEntry("alias production", "v2");
        outcome.assertSame();
    }

    @Test
    void aChallengerTrainedOnWrongLabelsIsRejectedAlike() throws Exception {
        Path batch = batch("scrambled", 54_000, 2000, null, Labels.SCRAMBLED);
        RetrainRequest request = RetrainRequest.builder().sources(List.of(batch.toString())).reason("test")
                .fallbackToFull(false).build();

        Outcome outcome = bothEngines(request);

        assertThat(outcome.local().outcome()).as(outcome.local().log()).isEqualTo("rejected");
        assertThat(outcome.local().steps()).containsExactly("ingest:succeeded", "validate:succeeded",
                "decide:succeeded", "train:succeeded", "evaluate:succeeded", "gate:succeeded", "reject:succeeded",
                "notify:succeeded");
        assertThat(outcome.local().registry()).containsOnlyKeys("v1", "alias production")
                .containsEntry("alias production", "v1");
        outcome.assertSame();
    }

    @Test
    void aTrainStepThatFailsEndsBothRunsFailedWithTheChampionInPlace() throws Exception {
        // Holding back 99.9 % of a 500-image batch leaves nothing to train on: the train step refuses.
        Path batch = batch("small", 56_000, 500, "thick", Labels.TRUE);
        RetrainRequest request = RetrainRequest.builder().sources(List.of(batch.toString())).reason("test")
                .minNewImages(100).holdoutFraction(0.999).build();

        Outcome outcome = bothEngines(request);

        assertThat(outcome.local().outcome()).isEqualTo("failed");
        assertThat(outcome.local().steps()).containsExactly("ingest:succeeded", "validate:succeeded",
                "decide:succeeded", "train:failed");
        assertThat(outcome.stepFunctions().path("error").asText()).isEqualTo("StepFailed");
        assertThat(outcome.local().registry()).containsOnlyKeys("v1", "alias production");
        outcome.assertSame();
    }

    /** What a run left behind, in a form both engines can be compared on. */
    record Ending(String outcome, List<String> steps, Map<String, String> registry, String log) {}

    record Outcome(Ending local, Ending stepFunctionsEnding, JsonNode stepFunctions) {
        void assertSame() {
            assertThat(stepFunctionsEnding.outcome()).as("outcome").isEqualTo(local.outcome());
            assertThat(stepFunctionsEnding.steps()).as("steps").isEqualTo(local.steps());
            assertThat(stepFunctionsEnding.registry()).as("registry").isEqualTo(local.registry());
        }
    }

    /** Runs {@code request} with the local runner and, from a copy of the same home, the Step Functions engine. */
    private Outcome bothEngines(RetrainRequest request) throws Exception {
        Path localHome = copyOf(championHome, tmp.resolve("local"));
        Path sfnHome = copyOf(championHome, tmp.resolve("stepfunctions"));

        Ending local = local(localHome, request);

        JsonNode input = Json.mapper().createObjectNode().set("request", Json.mapper().valueToTree(request));
        Locations env = Locations.fromEnvironment();
        List<String> command = new ArrayList<>(List.of("env", "MNIST_HOME=" + sfnHome,
                "MNIST_DATA_DIR=" + env.dataDir(), "MNIST_CACHE_DIR=" + env.cacheDir(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), MnistCli.class.getName()));
        JsonNode execution = engine.execute(definition, input, "execution-1", command, tmp.resolve("engine"));
        List<String> steps = new ArrayList<>();
        execution.path("tasks").forEach(t -> steps.add(t.path("step").asText() + ":" + t.path("status").asText()));
        String outcome = "SUCCEEDED".equals(execution.path("status").asText())
                ? execution.at("/output/notify/outcome").asText() : "failed";
        Ending stepFunctions = new Ending(outcome, steps, registry(new LocalModelRegistry(sfnHome.resolve("registry"))),
                execution.toString());
        return new Outcome(local, stepFunctions, execution);
    }

    private static Ending local(Path home, RetrainRequest request) {
        Locations env = Locations.fromEnvironment();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Context context = new Context(new Locations(env.cacheDir(), env.dataDir(), home),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        PipelineRunner runner = RetrainCommand.runner(context, null, DriftCheck.fromSummaries(
                context.locations.monitoring(), Duration.ofHours(1), DriftMonitor.DEFAULT_THRESHOLD));
        RunRecord run;
        try {
            run = runner.run(request);
        } catch (PipelineRunner.StepFailedException e) {
            run = e.run();
        }
        List<String> steps = run.steps().stream().map(s -> s.name() + ":" + s.status()).toList();
        return new Ending(run.outcome(), steps, registry(context.registry()), err.toString(StandardCharsets.UTF_8));
    }

    /** Versions with their parent and pipeline mode, and aliases: what two engines must agree on. */
    private static Map<String, String> registry(ModelRegistry registry) {
        Map<String, String> state = new TreeMap<>();
        for (ModelManifest m : registry.list()) {
            state.put(m.version(), m.parent() == null ? "trained by mnist train"
                    : "parent " + m.parent() + ", " + m.provenance().get("pipeline.mode"));
        }
        registry.aliases().forEach((alias, version) -> state.put("alias " + alias, version));
        return state;
    }

    enum Labels { TRUE, ONE_UP, SCRAMBLED }

    /** MNIST training images the champion never saw, optionally shifted, with true or other labels. */
    private Path batch(String name, int from, int count, String shift, Labels labelling) {
        LabeledImages images = mnistTrain.select(IntStream.range(from, from + count).toArray());
        if (shift != null) {
            images = Shifts.apply(images, shift, 11);
        }
        if (labelling != Labels.TRUE) {
            byte[] labels = images.labels().clone();
            for (int i = 0; i < labels.length; i++) {
                // one up: a consistent relabelling a model can learn; scrambled: noise it cannot
                labels[i] = (byte) ((labels[i] + 1 + (labelling == Labels.SCRAMBLED ? i % 9 : 0)) % 10);
            }
            images = new LabeledImages(images.pixels(), labels, 28, 28, 10);
        }
        Path dir = tmp.resolve("batch-" + name);
        Idx.write(dir, "batch", images);
        return dir;
    }

    private static Path copyOf(Path from, Path to) throws IOException {
        org.mnistpipeline.io.FileTrees.copy(from, to);
        return to;
    }
}
