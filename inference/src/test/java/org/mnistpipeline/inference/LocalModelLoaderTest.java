package org.mnistpipeline.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelPackageException;

class LocalModelLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void fixtureDirectoryLoadsWithTheManifestVersionAndVerifiedBytes() throws IOException {
        LoadedModel model = new LocalModelLoader(Fixture.smallV1()).load();
        assertThat(model.version()).isEqualTo("v1");
        assertThat(model.manifest()).get().satisfies(m -> assertThat(m.architecture().name()).isEqualTo("small"));
        assertThat(model.onnx()).isEqualTo(Files.readAllBytes(Fixture.smallV1().resolve("model.onnx")));
    }

    @Test
    void sealedPackageWithModelLoadsThroughItsChecksums() throws IOException {
        Path pkg = sealedPackage(true);
        LoadedModel model = new LocalModelLoader(pkg).load();
        assertThat(model.version()).isEqualTo("v1");
        assertThat(model.onnx()).isEqualTo(Files.readAllBytes(Fixture.smallV1().resolve("model.onnx")));
        try (OnnxPredictor predictor = OnnxPredictor.fromBytes(model.onnx(), model.version(), PredictorOptions.defaults())) {
            assertThat(predictor.predict(MnistTestImages.image(0)).label()).isEqualTo(7);
        }
    }

    @Test
    void packageWithoutModelSaysHowToExportIt() throws IOException {
        Path pkg = sealedPackage(false);
        assertThatThrownBy(() -> new LocalModelLoader(pkg).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("package v1")
                .hasMessageContaining("has no model.onnx; run `mnist models export v1`");
    }

    @Test
    void tamperedModelInASealedPackageIsRefused() throws IOException {
        Path pkg = sealedPackage(true);
        byte[] onnx = Files.readAllBytes(pkg.resolve("model.onnx"));
        onnx[onnx.length - 10] ^= 1;
        Files.write(pkg.resolve("model.onnx"), onnx);
        assertThatThrownBy(() -> new LocalModelLoader(pkg).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("model.onnx checksum mismatch");
    }

    @Test
    void plainDirectoryWithOnlyTheModelUsesTheFallbackVersion() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("opt/ml/model"));
        Files.copy(Fixture.smallV1().resolve("model.onnx"), dir.resolve("model.onnx"));
        assertThat(new LocalModelLoader(dir).load().version()).isEqualTo(LocalModelLoader.DEFAULT_VERSION);
        LoadedModel model = new LocalModelLoader(dir, "v42").load();
        assertThat(model.version()).isEqualTo("v42");
        assertThat(model.manifest()).isEmpty();
    }

    @Test
    void plainDirectoryChecksumsAreVerifiedWhenPresent() throws IOException {
        Path dir = plainWithSums();
        assertThat(new LocalModelLoader(dir).load().version()).isEqualTo("v1");

        Files.writeString(dir.resolve("manifest.json"), Files.readString(dir.resolve("manifest.json")) + " ");
        assertThatThrownBy(() -> new LocalModelLoader(dir).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("manifest.json checksum mismatch");
    }

    @Test
    void plainDirectoryWithAManifestOfAnUnknownFormatIsRefused() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("future"));
        Files.copy(Fixture.smallV1().resolve("model.onnx"), dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("manifest.json"), "{\"formatVersion\": 2, \"version\": \"v5\"}");
        assertThatThrownBy(() -> new LocalModelLoader(dir).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("format version 2");
        Files.writeString(dir.resolve("manifest.json"), "{\"formatVersion\": 1, \"version\": ");
        assertThatThrownBy(() -> new LocalModelLoader(dir).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void plainDirectoryWithChecksumsThatSkipTheModelIsRefused() throws IOException {
        Path dir = plainWithSums();
        String sums = Files.readString(dir.resolve("SHA256SUMS"));
        Files.writeString(dir.resolve("SHA256SUMS"), sums.lines().filter(l -> !l.endsWith("model.onnx"))
                .reduce("", (a, l) -> a + l + "\n"));
        assertThatThrownBy(() -> new LocalModelLoader(dir).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("SHA256SUMS does not list model.onnx");
    }

    @Test
    void checksumEntriesOutsideTheDirectoryAreRefused() throws IOException {
        Path dir = plainWithSums();
        Files.writeString(dir.resolve("SHA256SUMS"), Files.readString(dir.resolve("SHA256SUMS"))
                + "0".repeat(64) + "  ../secret\n");
        assertThatThrownBy(() -> new LocalModelLoader(dir).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("a path outside the package");
    }

    @Test
    void directoryWithoutAModelOrMissingIsExplained() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> new LocalModelLoader(empty).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("no model at").hasMessageContaining("model.onnx");
        assertThatThrownBy(() -> new LocalModelLoader(tmp.resolve("nope")).load())
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("not a directory");
    }

    /** A registry-style package: manifest, weights, optionally model.onnx, sealed. */
    private Path sealedPackage(boolean withModel) throws IOException {
        Path pkg = Files.createDirectories(tmp.resolve("v1"));
        Files.copy(Fixture.smallV1().resolve("manifest.json"), pkg.resolve("manifest.json"));
        // Sealing checks that the weights exist, not what they hold; serving never reads them.
        Files.writeString(pkg.resolve("weights.safetensors"), "stand-in weights");
        if (withModel) {
            Files.copy(Fixture.smallV1().resolve("model.onnx"), pkg.resolve("model.onnx"));
        }
        ModelPackage.seal(pkg);
        return pkg;
    }

    /** A SageMaker-style directory with sums written as `sha256sum` writes them. */
    private Path plainWithSums() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.copy(Fixture.smallV1().resolve("model.onnx"), dir.resolve("model.onnx"));
        Files.copy(Fixture.smallV1().resolve("manifest.json"), dir.resolve("manifest.json"));
        Files.writeString(dir.resolve("SHA256SUMS"), Sha256.of(dir.resolve("manifest.json")) + "  manifest.json\n"
                + Sha256.of(dir.resolve("model.onnx")) + " *model.onnx\n");
        return dir;
    }
}
