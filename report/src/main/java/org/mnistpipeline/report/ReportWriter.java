package org.mnistpipeline.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;

/**
 * Writes an evaluation report into a directory:
 * <ul>
 *   <li>{@value #METRICS} - the evaluation, training curves and facts, for machines ({@link ReportMetrics});
 *   <li>{@value #LOSS_CHART}, {@value #ACCURACY_CHART} - training curves (only when there are curves);
 *   <li>{@value #PER_CLASS_CHART} - per-class precision, recall and F1;
 *   <li>{@value #CALIBRATION_CHART} - reliability diagram;
 *   <li>{@value #CONFUSION_CHART} - confusion matrix heat map with counts;
 *   <li>{@value #MISTAKES_CHART} - the most confident mistakes as thumbnails (only with images and mistakes);
 *   <li>{@value #HTML} - one self-contained page with all of the above embedded, for people.
 * </ul>
 * Every file is written atomically, so a reader never sees a half-written report file.
 */
public final class ReportWriter {
    public static final String HTML = "report.html";
    public static final String METRICS = "metrics.json";
    public static final String LOSS_CHART = "loss-curves.png";
    public static final String ACCURACY_CHART = "accuracy-curves.png";
    public static final String PER_CLASS_CHART = "per-class.png";
    public static final String CALIBRATION_CHART = "calibration.png";
    public static final String CONFUSION_CHART = "confusion-matrix.png";
    public static final String MISTAKES_CHART = "worst-mistakes.png";

    private ReportWriter() {}

    /**
     * Writes the report files into {@code outDir} (created if missing) and returns the path of
     * {@value #HTML}. Charts this report does not have (e.g. curves of an evaluation-only report)
     * are removed if an earlier report left them there, so the directory describes one report.
     *
     * @throws UncheckedIOException if a file cannot be written
     */
    public static Path write(Path outDir, ReportInput input) {
        // Servers and CI machines have no display. AWT reads this property once, when the toolkit
        // first loads, so it must be set before any chart or image is created.
        System.setProperty("java.awt.headless", "true");
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create report directory " + outDir, e);
        }

        Json.writeAtomically(outDir.resolve(METRICS), ReportMetrics.of(input));

        Evaluation e = input.test();
        boolean curves = !input.curves().isEmpty();
        boolean thumbnails = input.images() != null && !e.worst().isEmpty();
        HtmlPage.Pictures pictures = new HtmlPage.Pictures(
                curves ? save(outDir, LOSS_CHART, "Train and validation loss per epoch",
                        Charts.lossCurves(input.curves())) : null,
                curves ? save(outDir, ACCURACY_CHART, "Train and validation accuracy per epoch",
                        Charts.accuracyCurves(input.curves())) : null,
                save(outDir, PER_CLASS_CHART, "Per-class precision, recall and F1", Charts.perClass(e.perClass())),
                save(outDir, CALIBRATION_CHART, "Reliability diagram: accuracy against confidence",
                        Charts.calibration(e.calibration(), e.expectedCalibrationError())),
                save(outDir, CONFUSION_CHART, "Confusion matrix heat map", Drawings.confusionHeatMap(e.confusion())),
                thumbnails ? save(outDir, MISTAKES_CHART, "Most confident mistakes as thumbnails",
                        Drawings.mistakeGrid(e.worst(), input.images())) : null);
        if (!curves) {
            removeStale(outDir, List.of(LOSS_CHART, ACCURACY_CHART));
        }
        if (!thumbnails) {
            removeStale(outDir, List.of(MISTAKES_CHART));
        }

        Path html = outDir.resolve(HTML);
        AtomicFiles.writeString(html, HtmlPage.render(input, pictures));
        return html;
    }

    private static HtmlPage.Picture save(Path outDir, String fileName, String alt, byte[] png) {
        AtomicFiles.write(outDir.resolve(fileName), png);
        return new HtmlPage.Picture(fileName, alt, png);
    }

    private static void removeStale(Path outDir, List<String> fileNames) {
        for (String name : fileNames) {
            try {
                Files.deleteIfExists(outDir.resolve(name));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove stale " + outDir.resolve(name), e);
            }
        }
    }
}
