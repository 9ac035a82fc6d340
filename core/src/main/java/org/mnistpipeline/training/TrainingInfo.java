package org.mnistpipeline.training;

import java.util.List;
import java.util.Map;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest.DataInfo;

/**
 * Everything a training run learnt about its model except the weights: what was trained (spec,
 * hyperparameters), on what (data info and fingerprint), how it went (per-epoch history, the
 * epoch whose weights were kept) and where (provenance: library, engine, device, JVM and OS,
 * recorded while training because floating-point results depend on them). Stored as
 * {@value TrainingArtifact#INFO} beside the weights.
 *
 * @param formatVersion        {@link #FORMAT_VERSION}; readers refuse other versions
 * @param history              one entry per epoch trained, resumed epochs included
 * @param bestEpoch            the epoch whose weights the artefact holds
 * @param trainingSeconds      wall time spent training, summed over resumed segments
 */
public record TrainingInfo(
        int formatVersion,
        ArchitectureSpec architecture,
        Hyperparameters hyperparameters,
        DataInfo data,
        List<EpochMetrics> history,
        int bestEpoch,
        double bestValidationAccuracy,
        boolean stoppedEarly,
        double trainingSeconds,
        Map<String, String> provenance) {

    public static final int FORMAT_VERSION = 1;

    public TrainingInfo {
        history = List.copyOf(history);
        provenance = Map.copyOf(provenance == null ? Map.of() : provenance);
    }
}
