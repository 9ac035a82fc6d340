package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.monitor.DriftMonitor;
import org.mnistpipeline.monitor.DriftReport;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.registry.ModelPackage;

/** How the decide step learns whether served traffic has drifted from the champion's baseline. */
@FunctionalInterface
public interface DriftCheck {
    /** No monitoring configured: never reports drift. */
    DriftCheck NONE = champion -> Optional.empty();

    /** The champion's drift report, if there is monitoring and a baseline to compare with. */
    Optional<DriftReport> check(ModelPackage champion);

    /** Reads the server's prediction summaries of the last {@code window} in {@code monitoringDir}. */
    static DriftCheck fromSummaries(Path monitoringDir, Duration window, double threshold) {
        return fromSummaries(SummaryStore.local(monitoringDir), window, threshold);
    }

    /** Reads the server's prediction summaries of the last {@code window} in {@code summaries}. */
    static DriftCheck fromSummaries(SummaryStore summaries, Duration window, double threshold) {
        return champion -> Baseline.in(champion).map(baseline -> DriftMonitor.check(summaries,
                champion.manifest().version(), baseline, window, Instant.now(), threshold,
                DriftMonitor.DEFAULT_MIN_SAMPLES));
    }
}
