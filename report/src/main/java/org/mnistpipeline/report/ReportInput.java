package org.mnistpipeline.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluation;

/**
 * What a report shows.
 *
 * @param title  page heading, e.g. {@code "mnist v7 - test set"}
 * @param facts  label/value rows shown as a table in the given order (model version, architecture,
 *               parameter count, data fingerprint, training time, ...); null means none
 * @param test   the evaluation the report is about
 * @param curves one entry per training epoch; empty (or null) for an evaluation-only report
 * @param images the evaluated set, in the order {@code test} was computed on, used to draw the
 *               worst mistakes as thumbnails; null to leave the thumbnails out
 */
public record ReportInput(String title, Map<String, String> facts, Evaluation test, List<EpochMetrics> curves,
        LabeledImages images) {

    public ReportInput {
        if (title == null) {
            throw new IllegalArgumentException("a report needs a title");
        }
        if (test == null) {
            throw new IllegalArgumentException("a report needs an evaluation to show");
        }
        // Copy into a LinkedHashMap, not Map.copyOf: the caller's row order is the table's order.
        facts = facts == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(facts));
        curves = curves == null ? List.of() : List.copyOf(curves);
        // Mistake indices point into the evaluated set; another set would draw the wrong digits.
        if (images != null && images.size() != test.count()) {
            throw new IllegalArgumentException("images hold " + images.size() + " examples but the evaluation covers "
                    + test.count() + "; pass the set that was evaluated, or null to omit thumbnails");
        }
    }

    /** An evaluation-only report: no facts, no training curves, no thumbnails. */
    public static ReportInput of(String title, Evaluation test) {
        return new ReportInput(title, null, test, null, null);
    }
}
