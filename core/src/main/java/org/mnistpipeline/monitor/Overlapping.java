package org.mnistpipeline.monitor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Collects what {@link SummaryStore#read} returns, the same for every store: summaries of one model
 * version overlapping a span; entries that cannot be read or belong to another version are counted
 * as skipped.
 */
final class Overlapping {
    private final String modelVersion;
    private final Instant from;
    private final Instant to;
    private final List<PredictionSummary> found = new ArrayList<>();
    private int skipped;

    Overlapping(String modelVersion, Instant from, Instant to) {
        this.modelVersion = modelVersion;
        this.from = from;
        this.to = to;
    }

    /** Offers one entry, read by {@code reader}; a reader that throws counts as unreadable. */
    void offer(Supplier<PredictionSummary> reader) {
        PredictionSummary summary;
        try {
            summary = reader.get();
        } catch (RuntimeException e) {
            skipped++;
            return;
        }
        if (!summary.modelVersion().equals(modelVersion)) {
            skipped++;
        } else if (summary.end().isAfter(from) && summary.start().isBefore(to)) {
            found.add(summary);
        }
    }

    SummaryStore.Found found() {
        return new SummaryStore.Found(List.copyOf(found), skipped);
    }
}
