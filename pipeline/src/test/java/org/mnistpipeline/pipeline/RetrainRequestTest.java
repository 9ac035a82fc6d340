package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.io.Json;

/** The request's builder sets only what differs; the JSON a run record holds reads back unchanged. */
class RetrainRequestTest {

    @Test
    void anEmptyJsonObjectAndAnEmptyBuilderAreTheDefaults() {
        RetrainRequest defaults = RetrainRequest.builder().build();
        assertThat(Json.parse("{}", RetrainRequest.class)).isEqualTo(defaults);
        assertThat(defaults.mode()).isEqualTo(RetrainRequest.Mode.INCREMENTAL);
        assertThat(defaults.fallbackToFull()).isTrue();
        assertThat(defaults.minNewImages()).isEqualTo(1000);
        assertThat(defaults.alias()).isEqualTo("production");
    }

    @Test
    void aRequestWrittenByAnEarlierReleaseReadsBackAsBuilt() {
        // The shape run records have always had: every field, by name.
        String recorded = """
                {"sources":["/data/b1"],"inbox":null,"reason":"scheduled","force":false,"mode":"FULL",
                 "fallbackToFull":false,"minNewImages":500,"replayRatio":1.5,"incrementalEpochs":3,
                 "learningRateScale":0.7,"holdoutFraction":0.2,"tolerancePoints":0.25,
                 "maxQuarantineFraction":0.5,"alias":"production","seed":1}""";
        RetrainRequest built = RetrainRequest.builder().sources(List.of("/data/b1")).reason("scheduled")
                .mode(RetrainRequest.Mode.FULL).fallbackToFull(false).minNewImages(500).tolerancePoints(0.25).build();

        assertThat(Json.parse(recorded, RetrainRequest.class)).isEqualTo(built);
        assertThat(Json.parse(Json.compact(built), RetrainRequest.class)).isEqualTo(built);
        assertThat(built.toBuilder().seed(9L).build()).isEqualTo(new RetrainRequest(List.of("/data/b1"), null,
                "scheduled", false, RetrainRequest.Mode.FULL, false, 500, 1.5, 3, 0.7, 0.2, 0.25, 0.5, "production",
                9L));
    }

    @Test
    void aBadSettingIsRefusedWithItsName() {
        assertThatThrownBy(() -> RetrainRequest.builder().holdoutFraction(1.0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holdout fraction");
    }
}
