package org.mnistpipeline.report;

import java.util.List;
import java.util.Map;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluation;

/**
 * The content of a report's {@code metrics.json}: the numbers behind the page, for machines.
 *
 * @param formatVersion on-disk format; readers should reject versions they do not know
 * @param title         the report's title
 * @param facts         the facts table, in display order
 * @param evaluation    the full evaluation
 * @param curves        training curves, one entry per epoch (empty for evaluation-only reports)
 */
public record ReportMetrics(int formatVersion, String title, Map<String, String> facts, Evaluation evaluation,
        List<EpochMetrics> curves) {

    public static final int FORMAT_VERSION = 1;

    static ReportMetrics of(ReportInput input) {
        return new ReportMetrics(FORMAT_VERSION, input.title(), input.facts(), input.test(), input.curves());
    }
}
