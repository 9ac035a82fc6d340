package org.mnistpipeline.inference;

import org.mnistpipeline.RequestException;
import org.mnistpipeline.MnistException.Kind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.data.LabeledImages;

class OnnxPredictorTest {
    private static OnnxPredictor predictor;

    @BeforeAll
    static void load() {
        predictor = Fixture.predictor(PredictorOptions.defaults());
    }

    @AfterAll
    static void close() {
        predictor.close();
    }

    @Test
    void fixtureModelClassifiesTheFirst2000TestImagesAtLeast98Point5PercentCorrectly() {
        LabeledImages test = MnistTestImages.test();
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            images.add(MnistTestImages.image(i));
        }
        List<Prediction> predictions = predictor.predictBatch(images);
        int correct = 0;
        for (int i = 0; i < 2000; i++) {
            if (predictions.get(i).label() == test.label(i)) {
                correct++;
            }
        }
        assertThat(correct / 2000.0).isGreaterThanOrEqualTo(0.985);
    }

    @Test
    void predictionCarriesLabelConfidenceProbabilitiesVersionAndLatency() {
        Prediction p = predictor.predict(MnistTestImages.image(0)); // a 7
        assertThat(p.label()).isEqualTo(MnistTestImages.test().label(0));
        assertThat(p.probabilities()).hasSize(10);
        assertThat(p.confidence()).isEqualTo(p.probabilities()[p.label()]).isGreaterThan(0.9f);
        float sum = 0;
        for (float v : p.probabilities()) {
            sum += v;
        }
        assertThat(sum).isCloseTo(1f, within(1e-4f));
        assertThat(p.modelVersion()).isEqualTo("v1");
        assertThat(p.latencyMicros()).isPositive();
        assertThat(predictor.modelVersion()).isEqualTo("v1");
        assertThat(predictor.inputSize()).isEqualTo(784);
    }

    @Test
    void batchGivesTheSameAnswersAsSingles() {
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            images.add(MnistTestImages.image(100 + i));
        }
        List<Prediction> batch = predictor.predictBatch(images);
        assertThat(batch).hasSize(50);
        for (int i = 0; i < 50; i++) {
            Prediction single = predictor.predict(images.get(i));
            assertThat(batch.get(i).label()).isEqualTo(single.label());
            assertThat(batch.get(i).probabilities()).containsExactly(single.probabilities(), within(1e-5f));
        }
    }

    @Test
    void batchesLargerThanMaxBatchSizeAreSplitAndKeepTheirOrder() {
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            images.add(MnistTestImages.image(200 + i));
        }
        try (OnnxPredictor small = Fixture.predictor(PredictorOptions.defaults().withMaxBatchSize(5))) {
            List<Prediction> split = small.predictBatch(images);
            List<Prediction> whole = predictor.predictBatch(images);
            assertThat(split).hasSize(23);
            for (int i = 0; i < 23; i++) {
                assertThat(split.get(i).label()).isEqualTo(whole.get(i).label());
                assertThat(split.get(i).probabilities()).containsExactly(whole.get(i).probabilities(), within(1e-5f));
            }
        }
        assertThat(predictor.predictBatch(List.of())).isEmpty();
    }

    @Test
    void eightThreadsPredictingAtOnceGetIdenticalResults() throws Exception {
        int n = 64;
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            images.add(MnistTestImages.image(300 + i));
        }
        List<Prediction> expected = new ArrayList<>();
        for (float[] image : images) {
            expected.add(predictor.predict(image));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<Prediction>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                Callable<List<Prediction>> task = () -> {
                    List<Prediction> out = new ArrayList<>();
                    for (int r = 0; r < 5; r++) {
                        for (int i = 0; i < n; i++) {
                            int k = (i + offset * 8) % n; // threads walk the images in different orders
                            out.add(predictor.predict(images.get(k)));
                        }
                    }
                    return out;
                };
                futures.add(pool.submit(task));
            }
            for (int t = 0; t < 8; t++) {
                List<Prediction> got = futures.get(t).get();
                for (int j = 0; j < got.size(); j++) {
                    Prediction want = expected.get((j % n + t * 8) % n);
                    assertThat(got.get(j).label()).isEqualTo(want.label());
                    assertThat(got.get(j).probabilities()).containsExactly(want.probabilities());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void imageOfTheWrongSizeIsBadInputNamingExpectedAndActual() {
        assertThatThrownBy(() -> predictor.predict(new float[783]))
                .isInstanceOf(RequestException.class)
                .hasMessage("image has 783 values, expected 784 (28×28)")
                .extracting(e -> ((RequestException) e).kind()).isEqualTo(Kind.BAD_INPUT);
        assertThatThrownBy(() -> predictor.predictBatch(List.of(new float[784], new float[785])))
                .isInstanceOf(RequestException.class)
                .hasMessage("image 1 has 785 values, expected 784 (28×28)");
        float[] nan = new float[784];
        nan[5] = Float.NaN;
        assertThatThrownBy(() -> predictor.predict(nan)).isInstanceOf(RequestException.class)
                .hasMessageContaining("non-finite").hasMessageContaining("position 5");
        assertThatThrownBy(() -> predictor.predict(null)).isInstanceOf(RequestException.class);
    }

    @Test
    void warmUpRunsTheModel() {
        Duration took = predictor.warmUp(3);
        assertThat(took).isPositive();
        assertThat(predictor.warmUp(0)).isNotNull();
    }

    @Test
    void closedPredictorRefusesAndCloseIsIdempotent() {
        OnnxPredictor p = Fixture.predictor(new PredictorOptions(1, 16));
        assertThat(p.predict(MnistTestImages.image(0)).label()).isEqualTo(7);
        p.close();
        p.close();
        assertThatThrownBy(() -> p.predict(MnistTestImages.image(0)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void bytesThatAreNotAnOnnxModelAreRefusedWithTheVersion() {
        assertThatThrownBy(() -> OnnxPredictor.fromBytes("not a model".getBytes(), "v9", PredictorOptions.defaults()))
                .isInstanceOf(MnistException.class)
                .hasMessageContaining("cannot load ONNX model v9")
                .hasMessageContaining("mnist models export v9");
    }

    @Test
    void fromFileGivesTheSameModel() {
        try (OnnxPredictor p = OnnxPredictor.fromFile(Fixture.smallV1().resolve("model.onnx"), "v1-file",
                PredictorOptions.defaults())) {
            Prediction a = p.predict(MnistTestImages.image(1));
            assertThat(a.modelVersion()).isEqualTo("v1-file");
            assertThat(a.probabilities()).containsExactly(predictor.predict(MnistTestImages.image(1)).probabilities());
        }
    }

    @Test
    void optionsAreValidatedWhenBuilt() {
        assertThatThrownBy(() -> new PredictorOptions(0, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("intraOpThreads");
        assertThatThrownBy(() -> new PredictorOptions(2, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBatchSize");
        assertThat(PredictorOptions.defaults().intraOpThreads()).isEqualTo(2);
    }

    @Test
    void realPicturesOfDigitsGetTheSameLabelAsTheOriginals() {
        ImagePreprocessor preprocessor = new ImagePreprocessor();
        int same = 0;
        int correct = 0;
        int n = 200;
        for (int i = 0; i < n; i++) {
            RenderedDigits style = RenderedDigits.ALL.get(i % RenderedDigits.ALL.size());
            int fromPicture = predictor.predict(preprocessor.preprocess(style.encode(i))).label();
            if (fromPicture == predictor.predict(MnistTestImages.image(i)).label()) {
                same++;
            }
            if (fromPicture == MnistTestImages.test().label(i)) {
                correct++;
            }
        }
        assertThat(same).as("pictures labelled as their MNIST original").isGreaterThanOrEqualTo(n * 95 / 100);
        assertThat(correct).as("pictures labelled correctly").isGreaterThanOrEqualTo(n * 95 / 100);
    }
}
