package org.mnistpipeline.pipeline.steps;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.pipeline.BatchStore.StoredBatch;
import org.mnistpipeline.pipeline.Lineage;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;

/**
 * Checks every batch the champion has not learnt from yet, as a whole: its files still match their
 * checksums, its images have the champion's input size and classes, and not too much of its source
 * was quarantined (a mostly-bad batch suggests a broken producer, not a few bad records).
 */
public final class ValidateStep implements Step<ValidateStep.Input, ValidateStep.Output> {

    public record Input(RetrainRequest request, IngestStep.Output ingest) {}

    public record Pending(String id, int sequence, int images) {}

    public record Refusal(String id, String reason) {}

    /** @param accepted batches the champion has not seen that may be trained on, oldest first */
    public record Output(String champion, List<Pending> accepted, List<Refusal> refused) {}

    @Override
    public String name() {
        return "validate";
    }

    @Override
    public Output run(Input input, StepContext context) {
        String alias = input.request().alias();
        ModelManifest champion = context.registry().get(alias).manifest();
        Lineage lineage = Lineage.of(champion);
        int[] shape = champion.architecture().input();
        List<Pending> accepted = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        for (StoredBatch batch : context.store().batches()) {
            if (lineage.batches().contains(batch.id())) {
                continue;
            }
            String problem = problem(batch, input.request(), shape, champion.data().numClasses(), context);
            if (problem == null) {
                accepted.add(new Pending(batch.id(), batch.sequence(), batch.accepted()));
            } else {
                context.log().accept("validate: batch " + batch.id() + " refused: " + problem);
                refused.add(new Refusal(batch.id(), problem));
            }
        }
        return new Output(champion.version(), accepted, refused);
    }

    private static String problem(StoredBatch batch, RetrainRequest request, int[] shape, int classes,
            StepContext context) {
        int total = batch.accepted() + batch.quarantined();
        double quarantined = total == 0 ? 1 : (double) batch.quarantined() / total;
        if (quarantined > request.maxQuarantineFraction()) {
            return String.format(Locale.ROOT, "%.0f%% of its records were quarantined (limit %.0f%%)",
                    quarantined * 100, request.maxQuarantineFraction() * 100);
        }
        LabeledImages images;
        try {
            images = context.store().load(batch.id());
        } catch (MnistException e) {
            return "unreadable: " + e.getMessage();
        }
        if (images.rows() != shape[shape.length - 2] || images.cols() != shape[shape.length - 1]) {
            return "images are " + images.rows() + "x" + images.cols() + ", the model takes "
                    + shape[shape.length - 2] + "x" + shape[shape.length - 1];
        }
        if (images.numClasses() > classes) {
            return "labels reach " + (images.numClasses() - 1) + ", the model knows " + classes + " classes";
        }
        return null;
    }
}
