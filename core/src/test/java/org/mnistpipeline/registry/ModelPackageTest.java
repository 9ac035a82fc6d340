package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;

class ModelPackageTest {
    @TempDir
    Path tmp;

    private Path sealed() throws IOException {
        Path dir = TestPackages.staged(tmp.resolve("pkg"));
        ModelPackage.seal(dir);
        return dir;
    }

    @Test
    void sealedPackageOpensWithTheSameManifestAndFiles() throws IOException {
        Path dir = TestPackages.staged(tmp.resolve("pkg"));

        ModelPackage sealed = ModelPackage.seal(dir);
        ModelPackage opened = ModelPackage.open(dir);

        assertThat(opened.manifest()).isEqualTo(TestPackages.manifest());
        assertThat(opened.files()).containsExactly("manifest.json", "report/metrics.json", "weights.params");
        assertThat(opened.files()).isEqualTo(sealed.files());
        assertThat(opened.weights()).isEqualTo(dir.toAbsolutePath().resolve("weights.params"));
        assertThat(opened.file("report/metrics.json")).hasContent("{\"testAccuracy\": 0.98}");
    }

    @Test
    void checksumFileUsesSha256sumFormatSortedAndCoversTheManifest() throws IOException {
        Path dir = sealed();

        assertThat(Files.readAllLines(dir.resolve("SHA256SUMS"))).containsExactly(
                Sha256.of(dir.resolve("manifest.json")) + "  manifest.json",
                Sha256.of(dir.resolve("report/metrics.json")) + "  report/metrics.json",
                Sha256.of(dir.resolve("weights.params")) + "  weights.params");
    }

    @Test
    void tamperedWeightsByteIsRefusedNamingTheFile() throws IOException {
        Path dir = sealed();
        byte[] weights = Files.readAllBytes(dir.resolve("weights.params"));
        weights[3] ^= 1;
        Files.write(dir.resolve("weights.params"), weights);

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("model package " + dir.toAbsolutePath() + " is corrupt")
                .hasMessageContaining("weights.params checksum mismatch (expected ")
                .hasMessageContaining("restore it or delete the version");
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        Path dir = sealed();
        Path metrics = dir.resolve("report/metrics.json");
        byte[] bytes = Files.readAllBytes(metrics);
        Files.write(metrics, Arrays.copyOf(bytes, bytes.length / 2));

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("report/metrics.json checksum mismatch");
    }

    @Test
    void extraFileIsRefusedAsTampering() throws IOException {
        Path dir = sealed();
        Files.writeString(dir.resolve("report/extra.png"), "not ours");

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("unexpected file report/extra.png is not listed in SHA256SUMS");
    }

    @Test
    void missingListedFileIsRefused() throws IOException {
        Path dir = sealed();
        Files.delete(dir.resolve("weights.params"));

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("weights.params is missing");
    }

    @Test
    void packageWithoutChecksumFileIsRefused() throws IOException {
        Path dir = sealed();
        Files.delete(dir.resolve("SHA256SUMS"));

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("SHA256SUMS is missing");
    }

    @Test
    void unknownFormatVersionIsRefusedWithAnUpgradeHint() throws IOException {
        Path dir = sealed();
        // What a future writer would produce: a consistent package in a format we do not know.
        Json.writeAtomically(dir.resolve("manifest.json"), TestPackages.manifest(99));
        rewriteSums(dir);

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("format version 99")
                .hasMessageContaining("reads only version 1");
    }

    @Test
    void sealRefusesAnUnknownFormatVersion() throws IOException {
        Path dir = TestPackages.staged(tmp.resolve("pkg"));
        Json.writeAtomically(dir.resolve("manifest.json"), TestPackages.manifest(99));

        assertThatThrownBy(() -> ModelPackage.seal(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("format version 99");
        assertThat(dir.resolve("SHA256SUMS")).doesNotExist();
    }

    @Test
    void checksumEntryEscapingThePackageIsRefused() throws IOException {
        Path dir = sealed();
        Files.writeString(tmp.resolve("outside"), "secret");
        appendSumsLine(dir, Sha256.of(tmp.resolve("outside")) + "  ../outside");

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("SHA256SUMS line 4")
                .hasMessageContaining("'../outside'");
    }

    @Test
    void absoluteChecksumEntryIsRefused() throws IOException {
        Path dir = sealed();
        appendSumsLine(dir, "0".repeat(64) + "  /etc/passwd");

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("an absolute path");
    }

    @Test
    void malformedChecksumLineIsRefused() throws IOException {
        Path dir = sealed();
        appendSumsLine(dir, "not a checksum line");

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("SHA256SUMS line 4 is not '<sha256>  <path>'");
    }

    @Test
    void sealRefusesAPackageWithoutItsWeights() throws IOException {
        Path dir = TestPackages.staged(tmp.resolve("pkg"));
        Files.delete(dir.resolve("weights.params"));

        assertThatThrownBy(() -> ModelPackage.seal(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("cannot seal model package")
                .hasMessageContaining("weights file weights.params named by manifest.json is missing");
    }

    @Test
    void sealRefusesAnUnreadableManifest() throws IOException {
        Path dir = TestPackages.staged(tmp.resolve("pkg"));
        Files.writeString(dir.resolve("manifest.json"), "{\"formatVersion\": 1, \"architecture\": 5}");

        assertThatThrownBy(() -> ModelPackage.seal(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("manifest.json is not a valid manifest");
    }

    @Test
    void symbolicLinkInsideThePackageIsRefused() throws IOException {
        Path dir = sealed();
        Files.writeString(tmp.resolve("elsewhere"), "x");
        Files.createSymbolicLink(dir.resolve("report/link"), tmp.resolve("elsewhere"));

        assertThatThrownBy(() -> ModelPackage.open(dir))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("report/link is a symbolic link");
    }

    @Test
    void fileAccessorRefusesPathsOutsideThePackage() throws IOException {
        ModelPackage pkg = ModelPackage.open(sealed());

        assertThatThrownBy(() -> pkg.file("../outside"))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("has no file ../outside");
    }

    @Test
    void resealingAfterAddingAFileCoversIt() throws IOException {
        Path dir = sealed();
        Files.writeString(dir.resolve("model.onnx"), "onnx bytes");

        ModelPackage.seal(dir);

        assertThat(ModelPackage.open(dir).files()).contains("model.onnx");
    }

    private static void rewriteSums(Path dir) {
        Map<String, String> digests = new TreeMap<>();
        for (String file : PackagePaths.regularFiles(dir, ModelPackageException::new)) {
            if (!file.equals("SHA256SUMS")) {
                digests.put(file, Sha256.of(dir.resolve(file)));
            }
        }
        AtomicFiles.writeString(dir.resolve("SHA256SUMS"), Sha256Sums.of(digests).format());
    }

    private static void appendSumsLine(Path dir, String line) throws IOException {
        Files.writeString(dir.resolve("SHA256SUMS"), line + "\n", StandardOpenOption.APPEND);
    }
}
