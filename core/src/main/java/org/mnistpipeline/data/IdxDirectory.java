package org.mnistpipeline.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.mnistpipeline.io.Sha256;

/**
 * A directory holding a train/test pair of IDX image and label files, named as MNIST names them
 * ({@code train-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, optionally {@code .gz}) or with
 * {@code test-} instead of {@code t10k-}. Any greyscale dataset stored this way loads the same way;
 * the number of classes comes from the labels.
 */
public final class IdxDirectory {
    /** The four files of a dataset, by role. */
    public enum Role {
        TRAIN_IMAGES("train-images", "train-images"),
        TRAIN_LABELS("train-labels", "train-labels"),
        TEST_IMAGES("t10k-images", "test-images"),
        TEST_LABELS("t10k-labels", "test-labels");

        final String mnistPrefix;
        final String genericPrefix;

        Role(String mnistPrefix, String genericPrefix) {
            this.mnistPrefix = mnistPrefix;
            this.genericPrefix = genericPrefix;
        }

        public String key() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    private IdxDirectory() {}

    /** Loads and validates the dataset in {@code dir}; the fingerprint covers the uncompressed bytes. */
    public static Dataset load(Path dir) {
        requireDirectory(dir);
        Map<Role, Path> files = locate(dir);
        Map<String, String> digests = new LinkedHashMap<>();
        Map<Role, Idx.IdxArray> arrays = new LinkedHashMap<>();
        for (var entry : files.entrySet()) {
            Path file = entry.getValue();
            MessageDigest digest = Sha256.newDigest();
            arrays.put(entry.getKey(), Idx.read(file, Idx.defaultLimit(), digest));
            digests.put(entry.getKey().key(), Sha256.hex(digest));
        }
        LabeledImages train = LabeledImages.of(arrays.get(Role.TRAIN_IMAGES), arrays.get(Role.TRAIN_LABELS), "train set");
        LabeledImages test = LabeledImages.of(arrays.get(Role.TEST_IMAGES), arrays.get(Role.TEST_LABELS), "test set");
        int classes = Math.max(train.numClasses(), test.numClasses());
        train = new LabeledImages(train.pixels(), train.labels(), train.rows(), train.cols(), classes);
        test = new LabeledImages(test.pixels(), test.labels(), test.rows(), test.cols(), classes);
        return new Dataset(dir, train, test, DataFingerprint.of(digests));
    }

    /**
     * Only the test images and labels of the dataset in {@code dir}, for callers that score or
     * summarise a model and need not read (or fingerprint) the much larger training files.
     */
    public static LabeledImages loadTest(Path dir) {
        requireDirectory(dir);
        Map<Role, Path> files = locate(dir);
        return LabeledImages.of(Idx.read(files.get(Role.TEST_IMAGES)), Idx.read(files.get(Role.TEST_LABELS)),
                "test set");
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new DataException("data directory " + dir + " does not exist; run `mnist data fetch` or pass --data DIR");
        }
    }

    /** Finds the four files, or explains which are missing. */
    public static Map<Role, Path> locate(Path dir) {
        List<Path> entries;
        try (Stream<Path> list = Files.list(dir)) {
            entries = list.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new DataException("cannot list data directory " + dir + ": " + e.getMessage(), e);
        }
        Map<Role, Path> found = new LinkedHashMap<>();
        StringBuilder missing = new StringBuilder();
        for (Role role : Role.values()) {
            Optional<Path> match = entries.stream()
                    .filter(p -> {
                        String name = p.getFileName().toString();
                        return name.startsWith(role.mnistPrefix) || name.startsWith(role.genericPrefix);
                    })
                    .filter(p -> !p.getFileName().toString().endsWith(".tmp"))
                    .findFirst();
            match.ifPresentOrElse(p -> found.put(role, p),
                    () -> missing.append(missing.isEmpty() ? "" : ", ").append(role.mnistPrefix).append("-*"));
        }
        if (!missing.isEmpty()) {
            throw new DataException("data directory " + dir + " lacks IDX files: " + missing
                    + " (expected train-images/train-labels and t10k- or test-images/labels, raw or .gz);"
                    + " run `mnist data fetch` for MNIST");
        }
        return found;
    }
}
