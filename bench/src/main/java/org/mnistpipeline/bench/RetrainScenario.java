package org.mnistpipeline.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Shifts;
import org.mnistpipeline.export.OnnxExporter;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.pipeline.BatchStore;
import org.mnistpipeline.pipeline.Notifier;
import org.mnistpipeline.pipeline.PipelineRunner;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.release.EvaluatedModel;
import org.mnistpipeline.release.OnnxScoring;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.train.DjlTraining;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.training.Training;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * Incremental versus full retraining under a distribution shift, through the real pipeline.
 *
 * <ol>
 *   <li>The champion learns the first {@code BASE} MNIST training images (clean).</li>
 *   <li>New labelled batches arrive: the held-back training images {@code BASE..BASE+NEW}, shifted
 *       deterministically ({@code SHIFT}, default thicker and slanted strokes), in two batches.</li>
 *   <li>Two copies of that state retrain, one incrementally and one in full; each run is timed
 *       from validate to notify (ingestion happened before, identically for both).</li>
 *   <li>Both challengers are scored in ONNX Runtime on the original and on the shifted test set.</li>
 * </ol>
 *
 * Usage: {@code RetrainScenario WORKDIR OUT.json [BASE] [NEW] [SHIFT]}
 */
public final class RetrainScenario {

    public static void main(String[] args) throws IOException {
        Path work = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int baseImages = args.length > 2 ? Integer.parseInt(args[2]) : 30_000;
        int newImages = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
        String shift = args.length > 4 ? args[4] : "thick+slant:12";
        Function<Path, BatchStore> stores = org.mnistpipeline.pipeline.DataStoreBatches::at;

        Dataset mnist = IdxDirectory.load(org.mnistpipeline.io.Locations.fromEnvironment().dataDir());
        Path base = work.resolve("base-" + baseImages);
        if (!Files.exists(base)) {
            Idx.writeDataset(base, mnist.train().head(baseImages), mnist.test());
        }
        LabeledImages shiftedTest = Shifts.apply(mnist.test(), shift, 99);
        Training training = new DjlTraining(Engines.pytorch(
                org.mnistpipeline.io.Locations.fromEnvironment().djlCache(), System.err::println),
                new TrainingListener() {});

        // The champion's recipe, which a full retrain repeats: `mnist train`'s default (the strong
        // CNN, 12 epochs with augmentation), or with RETRAIN_RECIPE=fast the demo's small CNN (4 epochs).
        String recipeName = System.getenv().getOrDefault("RETRAIN_RECIPE", "strong");
        Hyperparameters recipe = recipeName.equals("fast") ? Hyperparameters.fastDefaults().withEpochs(4)
                : Hyperparameters.strongDefaults();
        Dataset baseData = IdxDirectory.load(base);
        Path championDir = work.resolve("champion-" + recipeName + "-" + baseImages);
        TrainingArtifact champion = training.train(baseData, recipe, championDir, true, null);
        ReleaseService release = new ReleaseService(System.err::println);
        EvaluatedModel championRelease = release.evaluate(champion, baseData.test(), championDir.resolve("evaluation"));
        Map<String, Map<String, Object>> results = new LinkedHashMap<>();
        // Overrides for exploring the incremental recipe; the recorded runs use the defaults.
        String modes = System.getenv().getOrDefault("RETRAIN_MODES", "INCREMENTAL,FULL");
        Double lrScale = env("RETRAIN_LR_SCALE");
        Double replay = env("RETRAIN_REPLAY");
        Double epochs = env("RETRAIN_EPOCHS");
        for (String modeName : modes.split(",")) {
            Mode mode = Mode.valueOf(modeName.trim());
            Path home = work.resolve(mode.name().toLowerCase(Locale.ROOT) + "-" + System.nanoTime());
            ModelRegistry registry = new LocalModelRegistry(home.resolve("registry"));
            String v1 = release.register(registry, championRelease, home.resolve("staging"), null, Map.of(), false)
                    .version();
            registry.promote(v1, "production");
            BatchStore store = stores.apply(home.resolve("datastore"));
            int half = newImages / 2;
            for (int b = 0; b < 2; b++) {
                int from = baseImages + b * half;
                LabeledImages batch = Shifts.apply(mnist.train().select(IntStream.range(from, from + half).toArray()),
                        shift, 7 + b);
                Path dir = work.resolve("batch-" + b + "-" + shift.replace(':', '_') + "-" + from);
                if (!Files.exists(dir)) {
                    Idx.write(dir, "batch", batch);
                }
                store.ingest(dir);
            }
            PipelineRunner runner = new PipelineRunner(home.resolve("pipeline"), registry, store, training,
                    Notifier.of(home.resolve("pipeline/notifications.jsonl"), null), System.err::println);
            RetrainRequest request = RetrainRequest.builder().reason("benchmark").mode(mode).fallbackToFull(false)
                    .replayRatio(replay).incrementalEpochs(epochs == null ? null : epochs.intValue())
                    .learningRateScale(lrScale).build();
            long start = System.nanoTime();
            RunRecord run = runner.run(request);
            double wall = (System.nanoTime() - start) / 1e9;
            TrainingArtifact challenger = TrainingArtifact.read(Path.of(run.state().at("/train/artifact").asText()));
            byte[] onnx = OnnxExporter.export(challenger.info().architecture(), challenger.weights(),
                    "challenger-" + mode);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("mode", mode.name().toLowerCase(Locale.ROOT));
            r.put("outcome", run.outcome());
            r.put("wall_seconds", wall);
            r.put("train_step_seconds", run.lastStep("train").orElseThrow().seconds());
            r.put("train_images", run.state().at("/train/trainImages").asInt());
            r.put("replay_images", run.state().at("/train/replayImages").asInt());
            r.put("epochs", run.state().at("/train/epochs").asInt());
            r.put("original_test_accuracy", OnnxScoring.accuracy(onnx, "c", mnist.test()));
            r.put("shifted_test_accuracy", OnnxScoring.accuracy(onnx, "c", shiftedTest));
            r.put("new_holdout_accuracy", run.state().at("/evaluate/challenger/newHoldout").asDouble());
            r.put("gate", run.state().at("/gate/summary").asText());
            results.put(mode.name().toLowerCase(Locale.ROOT), r);
        }
        byte[] championOnnx = OnnxExporter.export(champion.info().architecture(), champion.weights(), "champion");
        Map<String, Object> inc = results.get("incremental");
        Map<String, Object> full = results.get("full");
        if (inc == null || full == null) {
            System.out.println(Json.pretty(results));
            return;
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("date", Instant.now().toString());
        report.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.arch")
                + ", " + System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        report.put("scenario", Map.of("base_images", baseImages, "new_images", newImages, "batches", 2,
                "shift", shift, "recipe", recipeName + ": " + recipe.architecture() + " CNN, up to " + recipe.epochs()
                        + " epochs (champion and full retrain)", "incremental", "defaults of mnist retrain"));
        report.put("champion", Map.of("training_seconds", champion.info().trainingSeconds(), "epochs",
                champion.info().history().size(),
                "original_test_accuracy", OnnxScoring.accuracy(championOnnx, "c", mnist.test()),
                "shifted_test_accuracy", OnnxScoring.accuracy(championOnnx, "c", shiftedTest)));
        report.put("incremental", inc);
        report.put("full", full);
        double timeRatio = (double) inc.get("wall_seconds") / (double) full.get("wall_seconds");
        double shiftedGap = ((double) full.get("shifted_test_accuracy") - (double) inc.get("shifted_test_accuracy"))
                * 100;
        double originalLoss = ((double) ((Map<?, ?>) report.get("champion")).get("original_test_accuracy")
                - (double) inc.get("original_test_accuracy")) * 100;
        report.put("targets", Map.of(
                "incremental_wall_time_ratio", timeRatio, "ratio_target", "<= 0.25", "ratio_met", timeRatio <= 0.25,
                "shifted_gap_points_vs_full", shiftedGap, "shifted_target", "<= 0.3", "shifted_met", shiftedGap <= 0.3,
                "original_loss_points_vs_champion", originalLoss, "original_target", "<= 0.1",
                "original_met", originalLoss <= 0.1));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, Json.pretty(report));
        System.out.println(Json.pretty(report));
    }

    private static Double env(String name) {
        String value = System.getenv(name);
        return value == null ? null : Double.valueOf(value);
    }
}
