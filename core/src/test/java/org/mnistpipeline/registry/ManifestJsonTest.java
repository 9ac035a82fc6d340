package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;

class ManifestJsonTest {

    @Test
    void manifestSurvivesJsonRoundTripIncludingLayerTypesAndInputShape() {
        ModelManifest original = TestPackages.manifest().withVersion("v4");

        String json = Json.pretty(original);
        ModelManifest read = Json.parse(json, ModelManifest.class);

        assertThat(read).isEqualTo(original);
        assertThat(read.architecture().input()).containsExactly(1, 28, 28);
        assertThat(read.architecture().layers()).isEqualTo(original.architecture().layers());
        assertThat(json).contains("\"type\" : \"conv2d\"", "\"type\" : \"relu\"");
    }
}
