package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfraSettingsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void contextValuesOverrideTheDefaultsAndTheLambdaZipDefaultsToTheLambdaModules() {
        Map<String, Object> context = Map.of("image", Synth.IMAGE, "instanceType", "ml.m5.xlarge",
                "minInstances", "3", "maxInstances", "8", "headroom", "0.6", "serverlessMemoryMb", "4096",
                "alarmEmail", "ops@example.org");
        InfraSettings s = InfraSettings.fromContext(context::get, ROOT);
        assertThat(s.instanceType()).isEqualTo("ml.m5.xlarge");
        assertThat(s.minInstances()).isEqualTo(3);
        assertThat(s.maxInstances()).isEqualTo(8);
        assertThat(s.headroom()).isEqualTo(0.6);
        assertThat(s.serverless()).isEqualTo(new InfraSettings.Serverless(4096, 20));
        assertThat(s.lambdaZip()).isEqualTo(ROOT.resolve("lambda/target/mnist-lambda-x86_64.zip"));
        assertThat(s.imageRef()).isEqualTo(new InfraSettings.ImageRef("123456789012", "eu-west-1", "mnist-pipeline",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        // What synth hands the app reads back to the same settings.
        assertThat(InfraSettings.fromContext(key -> s.toContext().get(key), ROOT)).isEqualTo(s);
    }

    @Test
    void anImageByTagOrOutsideEcrIsRefusedWithWhatToPassInstead() {
        String byTag = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mnist-pipeline:latest";
        assertThatThrownBy(() -> InfraSettings.defaults(byTag, Synth.lambdaZip()))
                .hasMessageContaining("pinned by digest").hasMessageContaining(byTag);
        assertThatThrownBy(() -> InfraSettings.defaults("docker.io/library/mnist@sha256:" + "a".repeat(64),
                Synth.lambdaZip())).hasMessageContaining("ECR image");
        InfraSettings noImage = InfraSettings.fromContext(Map.<String, Object>of()::get, ROOT);
        assertThat(noImage.hasImage()).isFalse();
        assertThatThrownBy(noImage::imageRef).hasMessageContaining("pinned by digest")
                .hasMessageContaining("docs/aws-deploy.md");
    }

    @Test
    void settingsThatWouldBreakTheGuardrailsOrTheScalingAreRefusedWhenBuilt() {
        InfraSettings ok = Synth.settings();
        assertThatThrownBy(() -> new InfraSettings(ok.image(), ok.lambdaZip(), ok.names(), ok.instanceType(), 1, 4,
                0.5, null, 1024, ok.retrainSchedule(), "mnist", null)).hasMessageContaining("at least 2");
        assertThatThrownBy(() -> ok.withInstanceType("ml.p3.2xlarge")).hasMessageContaining("ml.c5.large");
        assertThatThrownBy(() -> new InfraSettings(ok.image(), ok.lambdaZip(), ok.names(), ok.instanceType(), 2, 4,
                1.5, null, 1024, ok.retrainSchedule(), "mnist", null)).hasMessageContaining("headroom");
        assertThatThrownBy(() -> new InfraSettings(ok.image(), ok.lambdaZip(), ok.names(), ok.instanceType(), 2, 4,
                0.5, null, 1024, "every 6 hours", "mnist", null)).hasMessageContaining("rate(6 hours)");
        assertThatThrownBy(() -> new InfraSettings.Serverless(1500, 10)).hasMessageContaining("2048");
        assertThatThrownBy(() -> InfraSettings.defaults(Synth.IMAGE, Path.of("/nonexistent/lambda.zip")))
                .hasMessageContaining("does not exist");
    }
}
