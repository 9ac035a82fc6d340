package org.mnistpipeline.pipeline.steps;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import org.mnistpipeline.monitor.DriftReport;
import org.mnistpipeline.pipeline.MayBeAbsent;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.RetrainRequest.Mode;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;

/**
 * Whether to retrain now: when forced, when enough new labelled images have arrived, or when drift
 * was reported and there is new labelled data to learn from. A set of batches whose challenger was
 * already rejected against the same champion is not tried again until more data arrives.
 */
public final class DecideStep implements Step<DecideStep.Input, DecideStep.Output> {

    public record Input(RetrainRequest request, ValidateStep.Output validate) {}

    /**
     * @param batches the batches the challenger learns from, oldest first
     * @param drift   the monitoring verdict on the champion's recent traffic, or null without monitoring
     */
    public record Output(boolean retrain, String reason, String champion, Mode mode, List<String> batches,
            int newImages, @MayBeAbsent String drift) {}

    @Override
    public String name() {
        return "decide";
    }

    @Override
    public Output run(Input input, StepContext context) {
        RetrainRequest request = input.request();
        List<String> batches = input.validate().accepted().stream().map(ValidateStep.Pending::id).toList();
        int newImages = input.validate().accepted().stream().mapToInt(ValidateStep.Pending::images).sum();
        String champion = input.validate().champion();
        Optional<DriftReport> report = context.drift().check(context.registry().get(champion));
        String drift = report.map(DriftReport::verdict).orElse(null);
        report.ifPresent(r -> context.log().accept("decide: " + r.verdict()));
        boolean drifted = report.map(DriftReport::drifted).orElse(false) || "drift".equals(request.reason());
        // Fine-tuning needs something new to learn; a forced run without new data retrains in full.
        Mode mode = batches.isEmpty() ? Mode.FULL : request.mode();
        if (request.force()) {
            return new Output(true, "forced (" + newImages + " new images)", champion, mode, batches, newImages,
                    drift);
        }
        if (batches.isEmpty()) {
            // Drift says the traffic changed, but only labelled examples of the change can teach the model.
            return new Output(false, "no new labelled data since " + champion + (drifted
                    ? "; drift was reported, so label recent traffic and ingest it" : ""), champion, mode, batches, 0,
                    drift);
        }
        Optional<String> tried = alreadyRejected(context, champion, batches);
        if (tried.isPresent()) {
            return new Output(false, "batches " + batches + " were already tried against " + champion + " by run "
                    + tried.get() + " and rejected; waiting for more data", champion, mode, batches, newImages, drift);
        }
        if (newImages >= request.minNewImages()) {
            return new Output(true, newImages + " new images (threshold " + request.minNewImages() + ")", champion,
                    mode, batches, newImages, drift);
        }
        if (drifted) {
            return new Output(true, "drift reported; " + newImages + " new labelled images", champion, mode, batches,
                    newImages, drift);
        }
        return new Output(false, newImages + " new images, fewer than the threshold of " + request.minNewImages(),
                champion, mode, batches, newImages, drift);
    }

    private static Optional<String> alreadyRejected(StepContext context, String champion, List<String> batches) {
        for (RunRecord run : context.runs().list().reversed()) {
            JsonNode decide = run.state() == null ? null : run.state().get("decide");
            if (!"rejected".equals(run.outcome()) || run.id().equals(context.runId()) || decide == null) {
                continue;
            }
            List<String> triedBatches = new java.util.ArrayList<>();
            decide.path("batches").forEach(b -> triedBatches.add(b.asText()));
            if (champion.equals(decide.path("champion").asText()) && triedBatches.equals(batches)) {
                return Optional.of(run.id());
            }
        }
        return Optional.empty();
    }
}
