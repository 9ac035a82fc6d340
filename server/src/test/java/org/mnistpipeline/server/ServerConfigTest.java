package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
    private final ServerConfig base = ServerConfig.defaults(ModelSource.directory(Path.of("/m")));

    @Test
    void defaultsAreLoopbackSixMegabytesFortyMegapixelsAndBatchingOn() {
        assertThat(base.host()).isEqualTo("127.0.0.1");
        assertThat(base.maxBodyBytes()).isEqualTo(6 * 1024 * 1024);
        assertThat(base.maxPixels()).isEqualTo(40_000_000);
        assertThat(base.batching()).isEqualTo(new ServerConfig.Batching(true, 32, 0));
        assertThat(base.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(base.reloadInterval()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void portComesFromSageMakerBindToPortElse8080() {
        assertThat(ServerConfig.defaultPort(Map.of())).isEqualTo(8080);
        assertThat(ServerConfig.defaultPort(Map.of("SAGEMAKER_BIND_TO_PORT", "8081"))).isEqualTo(8081);
        assertThatThrownBy(() -> ServerConfig.defaultPort(Map.of("SAGEMAKER_BIND_TO_PORT", "x")))
                .hasMessageContaining("SAGEMAKER_BIND_TO_PORT");
    }

    @Test
    void badValuesAreRejectedWhenBuilt() {
        assertThatThrownBy(() -> base.toBuilder().port(70_000).build()).hasMessageContaining("port");
        assertThatThrownBy(() -> base.toBuilder().host(" ").build()).hasMessageContaining("host");
        assertThatThrownBy(() -> base.toBuilder().maxBodyBytes(0).build()).hasMessageContaining("maxBodyBytes");
        assertThatThrownBy(() -> base.toBuilder().maxPixels(10).build()).hasMessageContaining("maxPixels");
        assertThatThrownBy(() -> base.toBuilder().shutdownGrace(Duration.ofSeconds(-1)).build()).hasMessageContaining("shutdownGrace");
        assertThatThrownBy(() -> new ServerConfig.Batching(true, 0, 500)).hasMessageContaining("maxBatch");
        assertThatThrownBy(() -> new ServerConfig.Batching(true, 8, -1)).hasMessageContaining("maxWaitMicros");
    }
}
