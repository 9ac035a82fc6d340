package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.model.WeightsFile.Tensor;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.registry.ModelPackage;

/**
 * Exactly what a challenger is trained on and how, rebuilt identically when a killed train step
 * resumes, because every choice in it is seeded.
 *
 * <ul>
 *   <li>incremental: the champion's weights, fine-tuned for a few epochs at a lower learning rate on
 *       the new batches' training parts mixed with a replay sample of everything learnt before;</li>
 *   <li>full: fresh weights, the champion's recipe, on everything learnt before plus the new data.</li>
 * </ul>
 */
public record TrainingPlan(Mode mode, Dataset dataset, Hyperparameters hyperparameters, Map<String, Tensor> warmStart,
        Lineage lineage, int newImages, int replayImages) {

    public static TrainingPlan of(Mode mode, RetrainRequest request, List<String> batches, ModelPackage champion,
            BatchStore store) {
        ModelManifest manifest = champion.manifest();
        Lineage before = Lineage.of(manifest);
        Corpus corpus = Corpus.open(before, store);
        List<LabeledImages> fresh = new ArrayList<>();
        for (String id : batches) {
            fresh.add(corpus.batch(id, request.holdoutFraction()).train());
        }
        LabeledImages newData = fresh.isEmpty() ? null : LabeledImages.concat(fresh);
        int newCount = newData == null ? 0 : newData.size();
        LabeledImages past = corpus.learnedSoFar(request.holdoutFraction());
        Hyperparameters recipe = manifest.hyperparameters();
        Map<String, String> fingerprint = new LinkedHashMap<>();
        fingerprint.put("base", corpus.base().fingerprint().sha256());
        fingerprint.put("base_images", Integer.toString(before.baseImages()));
        before.plus(batches).batches().forEach(b -> fingerprint.put("batch:" + b, b));
        fingerprint.put("mode", mode.name());
        LabeledImages train;
        Hyperparameters hp;
        Map<String, Tensor> warmStart = null;
        int replay = 0;
        if (mode == Mode.INCREMENTAL) {
            replay = (int) Math.round(newCount * request.replayRatio());
            LabeledImages replayed = Corpus.sample(past, replay, request.seed() * 31 + Corpus.seedOf(String.join(",",
                    batches)));
            replay = replayed.size();
            train = replay == 0 ? newData : LabeledImages.concat(List.of(newData, replayed));
            // Shuffle once so the trainer's validation split sees both old and new images.
            train = Corpus.sample(train, train.size(), request.seed());
            hp = recipe.forFineTuning(request.incrementalEpochs(),
                    (float) (recipe.learningRate() * request.learningRateScale()), Math.max(1, train.size() / 10));
            warmStart = WeightsFile.read(champion.weights());
            fingerprint.put("replay", Integer.toString(replay));
        } else {
            train = newData == null ? past : LabeledImages.concat(List.of(past, newData));
            hp = recipe.withMaxTrainImages(0);
        }
        hp = hp.withSeed(request.seed());
        Dataset dataset = new Dataset(Path.of(before.baseSource()), train, corpus.base().test(),
                DataFingerprint.of(fingerprint));
        return new TrainingPlan(mode, dataset, hp, warmStart, before.plus(batches), newCount, replay);
    }
}
