package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LambdaConfigTest {
    @Test
    void defaultsServeTheBundledModelWithinLambdasPayloadLimit() {
        LambdaConfig config = LambdaConfig.fromEnvironment(Map.of());

        assertThat(config.modelDir()).isEqualTo(Path.of("/var/task/model"));
        assertThat(config.cacheEntries()).isEqualTo(10_000);
        assertThat(config.maxPayloadBytes()).isEqualTo(6L * 1024 * 1024);
    }

    @Test
    void environmentOverridesModelDirAndCache() {
        LambdaConfig config = LambdaConfig.fromEnvironment(Map.of("MODEL_DIR", "/opt/model", "CACHE_ENTRIES", "50",
                "CACHE_MAX_AGE_SECONDS", "60", "WARM_UP_RUNS", "0"));

        assertThat(config.modelDir()).isEqualTo(Path.of("/opt/model"));
        assertThat(config.cacheEntries()).isEqualTo(50);
        assertThat(config.cacheMaxAge()).isEqualTo(60);
        assertThat(config.warmUpRuns()).isZero();
    }

    @Test
    void badNumbersAreRefusedNamingTheVariable() {
        assertThatThrownBy(() -> LambdaConfig.fromEnvironment(Map.of("CACHE_ENTRIES", "lots")))
                .hasMessageContaining("CACHE_ENTRIES");
        assertThatThrownBy(() -> LambdaConfig.fromEnvironment(Map.of("CACHE_ENTRIES", "-1")))
                .hasMessageContaining("CACHE_ENTRIES");
    }
}
