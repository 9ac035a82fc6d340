package org.mnistpipeline.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mnistpipeline.data.IdxTestFiles.images;
import static org.mnistpipeline.data.IdxTestFiles.labels;
import static org.mnistpipeline.data.IdxTestFiles.tinyMnist;
import static org.mnistpipeline.data.IdxTestFiles.write;
import static org.mnistpipeline.data.IdxTestFiles.writeAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Sha256;

class IdxDirectoryTest {
    @TempDir
    Path root;

    private Path newDir(String name) throws IOException {
        return Files.createDirectory(root.resolve(name));
    }

    @Test
    void loadsRawFilesWithMnistNames() throws IOException {
        Path dir = writeAll(newDir("raw"), tinyMnist(), false);

        Dataset data = IdxDirectory.load(dir);

        assertThat(data.source()).isEqualTo(dir);
        assertThat(data.train().size()).isEqualTo(5);
        assertThat(data.test().size()).isEqualTo(3);
        assertThat(data.train().rows()).isEqualTo(2);
        assertThat(data.train().cols()).isEqualTo(3);
        assertThat(data.train().labels()).containsExactly(0, 1, 2, 1, 0);
        assertThat(data.test().labels()).containsExactly(2, 0, 1);
        assertThat(data.numClasses()).isEqualTo(3);
    }

    @Test
    void loadsGzipFilesWithMnistNames() throws IOException {
        Path dir = writeAll(newDir("gz"), tinyMnist(), true);

        Dataset data = IdxDirectory.load(dir);

        assertThat(data.train().size()).isEqualTo(5);
        assertThat(data.test().labels()).containsExactly(2, 0, 1);
    }

    @Test
    void loadsFilesNamedWithTestPrefix() throws IOException {
        Path dir = newDir("generic");
        write(dir.resolve("train-images.idx"), images(4, 3, 3));
        write(dir.resolve("train-labels.idx.gz"), IdxTestFiles.gzip(labels(0, 1, 1, 0)));
        write(dir.resolve("test-images.idx.gz"), IdxTestFiles.gzip(images(2, 3, 3)));
        write(dir.resolve("test-labels.idx"), labels(1, 0));

        Dataset data = IdxDirectory.load(dir);

        assertThat(data.train().size()).isEqualTo(4);
        assertThat(data.test().size()).isEqualTo(2);
        assertThat(data.numClasses()).isEqualTo(2);
    }

    @Test
    void numberOfClassesCoversLabelsSeenInEitherSet() throws IOException {
        Map<String, byte[]> files = new HashMap<>(tinyMnist());
        files.put("t10k-labels-idx1-ubyte", labels(4, 0, 1));
        Path dir = writeAll(newDir("wide"), files, false);

        Dataset data = IdxDirectory.load(dir);

        assertThat(data.numClasses()).isEqualTo(5);
        assertThat(data.train().numClasses()).isEqualTo(5);
        assertThat(data.train().classCounts()).containsExactly(2, 2, 1, 0, 0);
    }

    @Test
    void missingFilesAreListedInTheMessage() throws IOException {
        Map<String, byte[]> files = new HashMap<>(tinyMnist());
        files.remove("train-labels-idx1-ubyte");
        files.remove("t10k-images-idx3-ubyte");
        Path dir = writeAll(newDir("partial"), files, false);

        assertThatThrownBy(() -> IdxDirectory.load(dir))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("lacks IDX files: train-labels-*, t10k-images-*")
                .hasMessageNotContaining("train-images-*")
                .hasMessageContaining(dir.toString());
    }

    @Test
    void missingDirectoryIsADataException() {
        Path dir = root.resolve("nowhere");

        assertThatThrownBy(() -> IdxDirectory.load(dir))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void leftoverTempFilesAreIgnored() throws IOException {
        Path dir = writeAll(newDir("tmp"), tinyMnist(), false);
        write(dir.resolve("t10k-labels-idx1-ubyte.tmp"), new byte[] {1, 2});
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));

        assertThatThrownBy(() -> IdxDirectory.load(dir))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("lacks IDX files: t10k-labels-*");
    }

    @Test
    void corruptFileIsReportedWithItsPath() throws IOException {
        Map<String, byte[]> files = new HashMap<>(tinyMnist());
        files.put("train-labels-idx1-ubyte", new byte[] {0, 0, 8});
        Path dir = writeAll(newDir("corrupt"), files, false);

        assertThatThrownBy(() -> IdxDirectory.load(dir))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(dir.resolve("train-labels-idx1-ubyte").toString())
                .hasMessageContaining("truncated IDX header");
    }

    @Test
    void fingerprintIsStableForIdenticalContent() throws IOException {
        DataFingerprint first = IdxDirectory.load(writeAll(newDir("a"), tinyMnist(), false)).fingerprint();
        DataFingerprint second = IdxDirectory.load(writeAll(newDir("b"), tinyMnist(), false)).fingerprint();

        assertThat(second).isEqualTo(first);
        assertThat(first.sha256()).hasSize(64);
        assertThat(first.shortId()).isEqualTo(first.sha256().substring(0, 12));
        assertThat(first.files()).containsOnlyKeys("train-images", "train-labels", "test-images", "test-labels");
        assertThat(first.files().get("train-labels"))
                .isEqualTo(Sha256.of(tinyMnist().get("train-labels-idx1-ubyte")));
    }

    @Test
    void fingerprintChangesWhenOneByteChanges() throws IOException {
        DataFingerprint original = IdxDirectory.load(writeAll(newDir("a"), tinyMnist(), false)).fingerprint();
        Map<String, byte[]> files = new HashMap<>(tinyMnist());
        byte[] pixels = files.get("t10k-images-idx3-ubyte").clone();
        pixels[pixels.length - 1] ^= 1;
        files.put("t10k-images-idx3-ubyte", pixels);

        DataFingerprint changed = IdxDirectory.load(writeAll(newDir("b"), files, false)).fingerprint();

        assertThat(changed.sha256()).isNotEqualTo(original.sha256());
        assertThat(changed.files().get("test-images")).isNotEqualTo(original.files().get("test-images"));
        assertThat(changed.files().get("train-images")).isEqualTo(original.files().get("train-images"));
    }

    @Test
    void gzipAndRawCopiesOfTheSameContentShareAFingerprint() throws IOException {
        Dataset raw = IdxDirectory.load(writeAll(newDir("raw"), tinyMnist(), false));
        Dataset gz = IdxDirectory.load(writeAll(newDir("gz"), tinyMnist(), true));

        assertThat(gz.fingerprint()).isEqualTo(raw.fingerprint());
        assertThat(gz.train()).isEqualTo(raw.train());
        assertThat(gz.test()).isEqualTo(raw.test());
    }

    @Test
    void trainAndTestImagesOfDifferentSizesAreRejected() throws IOException {
        Map<String, byte[]> files = new HashMap<>(tinyMnist());
        files.put("t10k-images-idx3-ubyte", images(3, 3, 2));
        Path dir = writeAll(newDir("mixed"), files, false);

        assertThatThrownBy(() -> IdxDirectory.load(dir))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("train images are 2x3 but test images are 3x2");
    }
}
