package org.mnistpipeline.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceStartupTest {
    @TempDir
    Path tmp;

    @Test
    void startupRunLoadsTheModelAndClassifiesAnImage() throws IOException {
        Path png = tmp.resolve("seven.png");
        Files.write(png, RenderedDigits.ALL.get(1).encode(0));
        InferenceStartup.Result result = InferenceStartup.run(Fixture.smallV1(), Optional.of(png));
        assertThat(result.modelVersion()).isEqualTo("v1");
        assertThat(result.label()).isEqualTo(7);
        assertThat(result.sinceJvmStartMs()).isGreaterThanOrEqualTo(result.loadMs() + result.predictMs());
        assertThat(result.toString()).contains("after JVM start");
    }

    @Test
    void withoutAnImageASyntheticOneIsClassified() {
        assertThat(InferenceStartup.run(Fixture.smallV1(), Optional.empty()).label()).isEqualTo(1);
    }
}
