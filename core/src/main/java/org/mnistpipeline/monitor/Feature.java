package org.mnistpipeline.monitor;


/**
 * What drift monitoring histograms, with fixed bin edges so that summaries from any server,
 * window or model can be merged and compared bin by bin. Changing an edge changes the meaning of
 * stored files: bump {@link PredictionSummary#FORMAT_VERSION} when doing so.
 *
 * <p>Input statistics are read from the model's input, the normalised 28×28 image (ink near 1 on
 * paper near 0, after {@code ImagePreprocessor} for real pictures), so they describe what the model
 * actually saw. A value falls in bin {@code i} when {@code edges[i-1] <= value < edges[i]}; the
 * first and last bins are open-ended.
 */
public enum Feature {
    /** The predicted class; one bin per class. */
    PREDICTED_CLASS("predictedClass", null),
    /** Probability of the predicted class; fine bins near 1, where a good model mostly answers. */
    CONFIDENCE("confidence", new double[] {0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999}),
    /** Mean pixel value, the ink mass per pixel (MNIST: about 0.13). */
    MEAN_INTENSITY("meanIntensity", new double[] {0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.24, 0.30}),
    /** Share of pixels at or above half ink (MNIST: about 0.12). */
    INK_FRACTION("inkFraction", new double[] {0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.25, 0.30}),
    /** Width in pixels of the box around pixels at or above half ink. */
    INK_WIDTH("inkWidth", new double[] {6, 9, 12, 14, 16, 18, 20, 22}),
    /** Height in pixels of the same box (MNIST digits are scaled to 20 px). */
    INK_HEIGHT("inkHeight", new double[] {12, 15, 17, 18, 19, 20, 21, 22}),
    /**
     * Horizontal shift of the ink per row, from the image moments ({@code -mu11 / mu02});
     * positive when the top leans right, as handwriting slanted like italics does.
     */
    SLANT("slant", new double[] {-0.5, -0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, 0.5});

    private final String key;
    private final double[] edges;

    Feature(String key, double[] edges) {
        this.key = key;
        this.edges = edges;
    }

    /** The name in JSON files and reports. */
    public String key() {
        return key;
    }

    /** Bin edges, or an empty array for {@link #PREDICTED_CLASS}. */
    public double[] edges() {
        return edges == null ? new double[0] : edges.clone();
    }

    /** Number of bins; {@code numClasses} only matters for {@link #PREDICTED_CLASS}. */
    public int bins(int numClasses) {
        return edges == null ? numClasses : edges.length + 1;
    }

    /** The bin {@code value} falls in (not for {@link #PREDICTED_CLASS}). */
    int bin(double value) {
        int i = 0;
        while (i < edges.length && value >= edges[i]) {
            i++;
        }
        return i;
    }
}
