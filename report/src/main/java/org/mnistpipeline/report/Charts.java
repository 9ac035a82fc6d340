package org.mnistpipeline.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluation;

/** The report's JFreeChart charts, each rendered straight to PNG bytes. */
final class Charts {
    static final Color TRAIN = new Color(0x1f77b4);
    static final Color VALIDATION = new Color(0xff7f0e);
    static final Color THIRD = new Color(0x2ca02c);
    private static final Color GRID = new Color(0xdddddd);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);

    private Charts() {}

    /** Train and validation loss per epoch. */
    static byte[] lossCurves(List<EpochMetrics> curves) {
        return curves("Loss per epoch", "loss", curves, EpochMetrics::trainLoss, EpochMetrics::validationLoss);
    }

    /** Train and validation accuracy per epoch. */
    static byte[] accuracyCurves(List<EpochMetrics> curves) {
        return curves("Accuracy per epoch", "accuracy", curves, EpochMetrics::trainAccuracy,
                EpochMetrics::validationAccuracy);
    }

    private static byte[] curves(String title, String yLabel, List<EpochMetrics> curves,
            ToDoubleFunction<EpochMetrics> train, ToDoubleFunction<EpochMetrics> validation) {
        XYSeriesCollection data = new XYSeriesCollection();
        addSeries(data, "train " + yLabel, curves, train);
        addSeries(data, "validation " + yLabel, curves, validation);
        JFreeChart chart = ChartFactory.createXYLineChart(title, "epoch", yLabel, data, PlotOrientation.VERTICAL,
                true, false, false);
        XYPlot plot = style(chart).getXYPlot();
        // Markers as well as lines: a one-epoch run is otherwise an invisible zero-length line.
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int s = 0; s < data.getSeriesCount(); s++) {
            renderer.setSeriesPaint(s, data.getSeriesKey(s).toString().startsWith("train") ? TRAIN : VALIDATION);
            renderer.setSeriesStroke(s, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        NumberAxis epochs = (NumberAxis) plot.getDomainAxis();
        epochs.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        return png(chart, 820, 400);
    }

    private static void addSeries(XYSeriesCollection data, String name, List<EpochMetrics> curves,
            ToDoubleFunction<EpochMetrics> value) {
        XYSeries series = new XYSeries(name);
        for (EpochMetrics m : curves) {
            double y = value.applyAsDouble(m);
            // Runs without a validation split log NaN; leave those points out rather than break the axis.
            if (Double.isFinite(y)) {
                series.add(m.epoch(), y);
            }
        }
        if (series.getItemCount() > 0) {
            data.addSeries(series);
        }
    }

    /** Precision, recall and F1 side by side for every class. */
    static byte[] perClass(List<Evaluation.ClassMetrics> perClass) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        double lowest = 1;
        for (Evaluation.ClassMetrics c : perClass) {
            String label = Integer.toString(c.label());
            data.addValue(c.precision(), "precision", label);
            data.addValue(c.recall(), "recall", label);
            data.addValue(c.f1(), "F1", label);
            lowest = Math.min(lowest, Math.min(c.precision(), Math.min(c.recall(), c.f1())));
        }
        // A good MNIST model scores 0.97-1.00 everywhere; from a zero baseline every bar would look
        // full. Zoom in when all scores are high, and say so on the axis.
        double lower = lowest >= 0.5 ? Math.max(0, Math.floor((lowest - 0.02) * 20) / 20) : 0;
        String axisLabel = lower > 0 ? String.format(Locale.ROOT, "score (axis starts at %.2f)", lower) : "score";
        JFreeChart chart = ChartFactory.createBarChart("Per-class precision, recall and F1", "class", axisLabel,
                data, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = style(chart).getCategoryPlot();
        plot.getRangeAxis().setRange(lower, 1.0);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        renderer.setSeriesPaint(0, TRAIN);
        renderer.setSeriesPaint(1, VALIDATION);
        renderer.setSeriesPaint(2, THIRD);
        return png(chart, 880, 400);
    }

    /** Reliability diagram: accuracy of each confidence bin against the diagonal of perfect calibration. */
    static byte[] calibration(List<Evaluation.CalibrationBin> bins, double ece) {
        XYIntervalSeries accuracy = new XYIntervalSeries("accuracy in bin");
        XYSeries confidence = new XYSeries("mean confidence in bin");
        for (Evaluation.CalibrationBin b : bins) {
            if (b.count() > 0) {
                double centre = (b.lower() + b.upper()) / 2;
                accuracy.add(centre, b.lower(), b.upper(), b.accuracy(), 0, b.accuracy());
                confidence.add(centre, b.meanConfidence());
            }
        }
        XYIntervalSeriesCollection barData = new XYIntervalSeriesCollection();
        barData.addSeries(accuracy);
        XYSeries diagonal = new XYSeries("perfect calibration");
        diagonal.add(0, 0);
        diagonal.add(1, 1);
        XYSeriesCollection lineData = new XYSeriesCollection();
        lineData.addSeries(diagonal);
        lineData.addSeries(confidence);

        NumberAxis x = new NumberAxis("confidence (max probability)");
        x.setRange(0, 1);
        NumberAxis y = new NumberAxis("accuracy");
        y.setRange(0, 1);
        XYBarRenderer bars = new XYBarRenderer(0.04);
        bars.setBarPainter(new StandardXYBarPainter());
        bars.setShadowVisible(false);
        bars.setSeriesPaint(0, new Color(0x1f77b4));
        bars.setDrawBarOutline(true);
        bars.setSeriesOutlinePaint(0, Color.WHITE);
        XYPlot plot = new XYPlot(barData, x, y, bars);

        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer();
        lines.setSeriesLinesVisible(0, true);
        lines.setSeriesShapesVisible(0, false);
        lines.setSeriesPaint(0, Color.GRAY);
        lines.setSeriesStroke(0, new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {6f, 4f}, 0f));
        // The dot marks the height the bar would have if the model were calibrated, so the gap
        // between bar top and dot is that bin's share of the ECE. No line joins bins.
        lines.setSeriesLinesVisible(1, false);
        lines.setSeriesShapesVisible(1, true);
        lines.setSeriesPaint(1, VALIDATION);
        plot.setDataset(1, lineData);
        plot.setRenderer(1, lines);
        // Draw the diagonal over the bars, not under them.
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);

        String title = String.format(Locale.ROOT, "Reliability diagram (ECE %.4f)", ece);
        JFreeChart chart = new JFreeChart(title, TITLE_FONT, plot, true);
        return png(style(chart), 560, 540);
    }

    private static JFreeChart style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        if (chart.getTitle() != null) {
            chart.getTitle().setFont(TITLE_FONT);
        }
        if (chart.getPlot() instanceof XYPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setDomainGridlinePaint(GRID);
            p.setRangeGridlinePaint(GRID);
            p.setOutlinePaint(Color.LIGHT_GRAY);
        } else if (chart.getPlot() instanceof CategoryPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setRangeGridlinePaint(GRID);
            p.setOutlinePaint(Color.LIGHT_GRAY);
        }
        return chart;
    }

    private static byte[] png(JFreeChart chart, int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            ChartUtils.writeChartAsPNG(out, chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode chart '" + chart.getTitle().getText() + "' as PNG", e);
        }
        return out.toByteArray();
    }
}
