package org.mnistpipeline.report;

import java.awt.Color;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluation;

/**
 * Builds {@code report.html}: one self-contained page. Pictures are embedded as {@code data:} URIs,
 * the CSS is inline, and there is no JavaScript and no external reference, so the file can be
 * mailed, archived or opened offline and always looks the same.
 */
final class HtmlPage {

    /** One embedded picture. */
    record Picture(String fileName, String alt, byte[] png) {}

    /** The pictures the page can show; null where the report has none of that kind. */
    record Pictures(Picture loss, Picture accuracy, Picture perClass, Picture calibration, Picture confusion,
            Picture mistakes) {}

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;\
            margin:0;background:#fafafa}
            main{max-width:1120px;margin:0 auto;padding:24px 32px;background:#fff}
            h1{font-size:1.6em;margin:0 0 16px}
            h2{font-size:1.2em;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            .cards{display:flex;flex-wrap:wrap;gap:12px}
            .card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:150px}
            .card .v{font-size:1.6em;font-weight:600}
            .card .k{color:#666;font-size:.85em}
            table{border-collapse:collapse;font-size:.9em;margin:8px 0}
            th,td{border:1px solid #ddd;padding:3px 8px}
            th{background:#f3f3f3;text-align:left}
            td.n{text-align:right;font-variant-numeric:tabular-nums}
            table.cm td{text-align:right;min-width:2.5em}
            img{max-width:100%;height:auto;display:block;margin:8px 0}
            .row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
            details{margin:8px 0}
            summary{cursor:pointer;color:#444}
            p.note{color:#666;font-size:.9em}
            """;

    private HtmlPage() {}

    static String render(ReportInput input, Pictures pictures) {
        Evaluation e = input.test();
        StringBuilder h = new StringBuilder(256 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(escape(input.title())).append("</title>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n")
                .append("<h1>").append(escape(input.title())).append("</h1>\n");

        headline(h, e, input.curves());
        facts(h, input.facts());
        training(h, input.curves(), pictures);
        perClass(h, e, pictures.perClass());
        confusion(h, e, pictures.confusion());
        calibration(h, e, pictures.calibration());
        mistakes(h, e, pictures.mistakes(), input.images() != null);

        h.append("</main>\n</body>\n</html>\n");
        return h.toString();
    }

    /** The headline accuracy exactly as the page prints it, e.g. {@code 99.12%}. */
    static String percent(double share) {
        return String.format(Locale.ROOT, "%.2f%%", share * 100);
    }

    private static void headline(StringBuilder h, Evaluation e, List<EpochMetrics> curves) {
        int correct = (int) Math.round(e.accuracy() * e.count());
        h.append("<section class=\"cards\">\n");
        card(h, "accuracy", percent(e.accuracy()), correct + " of " + e.count() + " correct");
        card(h, "errors", Integer.toString(e.count() - correct), percent(1 - e.accuracy()) + " error rate");
        card(h, "log loss", fixed(e.logLoss(), 4), "mean negative log-likelihood");
        card(h, "ECE", fixed(e.expectedCalibrationError(), 4),
                "expected calibration error, " + e.calibration().size() + " bins");
        if (!curves.isEmpty()) {
            EpochMetrics last = curves.get(curves.size() - 1);
            card(h, "epochs", Integer.toString(curves.size()),
                    "last validation accuracy " + percent(last.validationAccuracy()));
        }
        h.append("</section>\n");
    }

    private static void card(StringBuilder h, String key, String value, String detail) {
        h.append("<div class=\"card\"><div class=\"k\">").append(escape(key)).append("</div><div class=\"v\">")
                .append(escape(value)).append("</div><div class=\"k\">").append(escape(detail))
                .append("</div></div>\n");
    }

    private static void facts(StringBuilder h, Map<String, String> facts) {
        if (facts.isEmpty()) {
            return;
        }
        h.append("<h2>Facts</h2>\n<table class=\"facts\">\n");
        facts.forEach((k, v) -> h.append("<tr><th>").append(escape(k)).append("</th><td>")
                .append(escape(v == null ? "" : v)).append("</td></tr>\n"));
        h.append("</table>\n");
    }

    private static void training(StringBuilder h, List<EpochMetrics> curves, Pictures pictures) {
        h.append("<h2>Training</h2>\n");
        if (curves.isEmpty()) {
            h.append("<p class=\"note\">No training curves: this is an evaluation-only report.</p>\n");
            return;
        }
        image(h, pictures.loss());
        image(h, pictures.accuracy());
        h.append("<details><summary>Per-epoch numbers</summary>\n<table>\n<tr><th>epoch</th><th>train loss</th>")
                .append("<th>train accuracy</th><th>val loss</th><th>val accuracy</th><th>learning rate</th>")
                .append("<th>seconds</th><th>images/s</th></tr>\n");
        for (EpochMetrics m : curves) {
            h.append("<tr><td class=\"n\">").append(m.epoch()).append("</td>");
            numberCell(h, fixed(m.trainLoss(), 4));
            numberCell(h, fixed(m.trainAccuracy(), 4));
            numberCell(h, fixed(m.validationLoss(), 4));
            numberCell(h, fixed(m.validationAccuracy(), 4));
            numberCell(h, plain(m.learningRate()));
            numberCell(h, fixed(m.seconds(), 1));
            numberCell(h, fixed(m.imagesPerSecond(), 0));
            h.append("</tr>\n");
        }
        h.append("</table>\n</details>\n");
    }

    private static void perClass(StringBuilder h, Evaluation e, Picture chart) {
        h.append("<h2>Per class</h2>\n<div class=\"row\">\n<table>\n")
                .append("<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n");
        for (Evaluation.ClassMetrics c : e.perClass()) {
            h.append("<tr><td class=\"n\">").append(c.label()).append("</td>");
            numberCell(h, fixed(c.precision(), 4));
            numberCell(h, fixed(c.recall(), 4));
            numberCell(h, fixed(c.f1(), 4));
            numberCell(h, Integer.toString(c.support()));
            h.append("</tr>\n");
        }
        h.append("</table>\n<div>");
        image(h, chart);
        h.append("</div>\n</div>\n");
    }

    private static void confusion(StringBuilder h, Evaluation e, Picture heatMap) {
        h.append("<h2>Confusion matrix</h2>\n<p class=\"note\">Rows are the true class, columns the prediction. ")
                .append("Green: share of the row predicted correctly. Red: errors, relative to the most ")
                .append("frequent confusion.</p>\n");
        image(h, heatMap);
        int[][] m = e.confusion();
        Color[][] colors = Drawings.confusionColors(m);
        h.append("<details><summary>Counts as a table</summary>\n<table class=\"cm\">\n")
                .append("<tr><th>actual \\ predicted</th>");
        for (int j = 0; j < m.length; j++) {
            h.append("<th>").append(j).append("</th>");
        }
        h.append("</tr>\n");
        for (int i = 0; i < m.length; i++) {
            h.append("<tr><th>").append(i).append("</th>");
            for (int j = 0; j < m.length; j++) {
                h.append("<td style=\"background:").append(Drawings.hex(colors[i][j])).append(";color:")
                        .append(Drawings.hex(Drawings.textOn(colors[i][j]))).append("\">").append(m[i][j])
                        .append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n</details>\n");
    }

    private static void calibration(StringBuilder h, Evaluation e, Picture diagram) {
        h.append("<h2>Calibration</h2>\n<p class=\"note\">Bars: accuracy of the predictions whose confidence ")
                .append("fell in each bin; dots: their mean confidence, the height a calibrated model's bar ")
                .append("would have. The gaps, weighted by bin size, add up to the ECE.</p>\n");
        image(h, diagram);
        h.append("<details><summary>Bins as a table</summary>\n<table>\n<tr><th>confidence</th><th>count</th>")
                .append("<th>mean confidence</th><th>accuracy</th></tr>\n");
        for (Evaluation.CalibrationBin b : e.calibration()) {
            h.append("<tr><td>").append(fixed(b.lower(), 3)).append(" &ndash; ").append(fixed(b.upper(), 3))
                    .append("</td>");
            numberCell(h, Integer.toString(b.count()));
            numberCell(h, b.count() == 0 ? "" : fixed(b.meanConfidence(), 4));
            numberCell(h, b.count() == 0 ? "" : fixed(b.accuracy(), 4));
            h.append("</tr>\n");
        }
        h.append("</table>\n</details>\n");
    }

    private static void mistakes(StringBuilder h, Evaluation e, Picture grid, boolean haveImages) {
        h.append("<h2>Most confident mistakes</h2>\n");
        if (e.worst().isEmpty()) {
            h.append("<p class=\"note\">No mistakes: every example was classified correctly.</p>\n");
            return;
        }
        if (grid != null) {
            image(h, grid);
        } else if (!haveImages) {
            h.append("<p class=\"note\">No images were supplied, so the mistakes are listed without ")
                    .append("thumbnails.</p>\n");
        }
        h.append("<details").append(grid == null ? " open" : "").append("><summary>As a table</summary>\n")
                .append("<table>\n<tr><th>index</th><th>true</th><th>predicted</th><th>confidence</th></tr>\n");
        for (Evaluation.Mistake m : e.worst()) {
            h.append("<tr><td class=\"n\">").append(m.index()).append("</td>");
            numberCell(h, Integer.toString(m.actual()));
            numberCell(h, Integer.toString(m.predicted()));
            numberCell(h, fixed(m.confidence(), 4));
            h.append("</tr>\n");
        }
        h.append("</table>\n</details>\n");
    }

    private static void image(StringBuilder h, Picture picture) {
        if (picture == null) {
            return;
        }
        h.append("<img alt=\"").append(escape(picture.alt())).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(picture.png())).append("\">\n");
    }

    private static void numberCell(StringBuilder h, String text) {
        h.append("<td class=\"n\">").append(escape(text)).append("</td>");
    }

    /** Shortest exact decimal without exponent: 0.001 rather than 1.0E-3 or 0.00100000. */
    private static String plain(double value) {
        return Double.isFinite(value)
                ? new java.math.BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString()
                : "n/a";
    }

    private static String fixed(double value, int decimals) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "n/a";
    }

    /**
     * HTML-escapes caller text. {@code ://} is written as {@code &#58;//}: it reads the same, but
     * the file then holds no URL at all (a data source fact is often one), so "no external
     * references" can be checked with a plain text search.
     */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                case ':' -> out.append(text.startsWith("//", i + 1) ? "&#58;" : ":");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
