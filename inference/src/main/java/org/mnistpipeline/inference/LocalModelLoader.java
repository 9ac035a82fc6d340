package org.mnistpipeline.inference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelPackageException;

/**
 * Loads {@value #MODEL_FILE} from a directory on local disk. Two layouts are accepted:
 *
 * <ul>
 *   <li>a <b>model package</b> as the registry stores it ({@code manifest.json}, the weights,
 *       {@code SHA256SUMS}, and {@value #MODEL_FILE} once exported): every file is checked
 *       through {@link ModelPackage#open} and the version comes from the manifest;</li>
 *   <li>a <b>plain model directory</b>, as SageMaker unpacks one into {@code /opt/ml/model}:
 *       {@value #MODEL_FILE}, optionally {@code manifest.json} (for the version) and
 *       {@code SHA256SUMS}. When {@code SHA256SUMS} is present every file it lists is checked and it
 *       must list {@value #MODEL_FILE}; files it does not list are ignored. Without a manifest the
 *       version is the fallback given to the constructor.</li>
 * </ul>
 *
 * A directory counts as plain when it holds {@value #MODEL_FILE} but not the weights file its
 * manifest names (or has no readable manifest); anything else is treated as a package and must pass
 * its checks.
 */
public final class LocalModelLoader implements ModelLoader {
    public static final String MODEL_FILE = ModelPackage.ONNX;
    /** Version reported for a plain directory without a manifest, unless the caller gives one. */
    public static final String DEFAULT_VERSION = "unversioned";

    private final Path dir;
    private final String fallbackVersion;

    public LocalModelLoader(Path dir) {
        this(dir, DEFAULT_VERSION);
    }

    /** {@code fallbackVersion} is reported when the directory has no manifest naming a version. */
    public LocalModelLoader(Path dir, String fallbackVersion) {
        if (fallbackVersion == null || fallbackVersion.isBlank()) {
            throw new IllegalArgumentException("fallback version must not be blank");
        }
        this.dir = dir.toAbsolutePath().normalize();
        this.fallbackVersion = fallbackVersion;
    }

    @Override
    public LoadedModel load() {
        if (!Files.isDirectory(dir)) {
            throw new ModelPackageException("no model at " + dir + ": it is not a directory");
        }
        Path manifest = dir.resolve(ModelPackage.MANIFEST);
        Path model = dir.resolve(MODEL_FILE);
        if (Files.isRegularFile(manifest) && !(Files.isRegularFile(model) && weightsMissing(read(manifest)))) {
            return loadPackage();
        }
        if (Files.isRegularFile(model)) {
            return loadPlain(manifest);
        }
        throw new ModelPackageException("no model at " + dir + ": expected a model package (" + ModelPackage.MANIFEST
                + ", weights, " + ModelPackage.CHECKSUMS + ", " + MODEL_FILE + ") or a directory holding " + MODEL_FILE);
    }

    private LoadedModel loadPackage() {
        ModelPackage pkg = ModelPackage.open(dir);
        String version = versionOr(pkg.manifest().version());
        if (!pkg.files().contains(MODEL_FILE)) {
            throw new ModelPackageException("package " + version + " at " + dir + " has no " + MODEL_FILE
                    + "; run `mnist models export " + version + "`");
        }
        Map<String, String> sums = ModelPackage.readChecksums(dir, this::corrupt);
        byte[] onnx = readAndCheck(MODEL_FILE, sums);
        return new LoadedModel(version, onnx, readAndCheck(ModelPackage.MANIFEST, sums), dir.toString());
    }

    /**
     * Plain directories are what a Lambda function or SageMaker container loads at cold start, so
     * the manifest is only scanned for its version here (see {@link LoadedModel#manifest()}).
     */
    private LoadedModel loadPlain(Path manifestFile) {
        Path sumsFile = dir.resolve(ModelPackage.CHECKSUMS);
        Map<String, String> sums = Map.of();
        if (Files.isRegularFile(sumsFile)) {
            sums = ModelPackage.readChecksums(dir, this::corrupt);
            if (!sums.containsKey(MODEL_FILE)) {
                throw corrupt(ModelPackage.CHECKSUMS + " does not list " + MODEL_FILE
                        + "; regenerate it with `sha256sum * > " + ModelPackage.CHECKSUMS + "`");
            }
            for (var entry : sums.entrySet()) {
                if (entry.getKey().equals(MODEL_FILE) || entry.getKey().equals(ModelPackage.MANIFEST)) {
                    continue; // checked below on the very bytes we load
                }
                Path file = dir.resolve(entry.getKey());
                if (!Files.isRegularFile(file)) {
                    throw corrupt(entry.getKey() + " is listed in " + ModelPackage.CHECKSUMS + " but missing");
                }
                String actual = Sha256.of(file);
                if (!actual.equals(entry.getValue())) {
                    throw corrupt(entry.getKey() + " checksum mismatch (expected " + entry.getValue() + ", got "
                            + actual + ")");
                }
            }
        }
        byte[] manifest = null;
        String version = null;
        if (Files.isRegularFile(manifestFile) || sums.containsKey(ModelPackage.MANIFEST)) {
            manifest = readAndCheck(ModelPackage.MANIFEST, sums);
            ModelPackage.Head head = ModelPackage.readHead(manifest, this::corrupt);
            ModelPackage.checkFormatVersion(head.formatVersion(), dir);
            version = head.version();
        }
        byte[] onnx = readAndCheck(MODEL_FILE, sums);
        return new LoadedModel(versionOr(version), onnx, manifest, dir.toString());
    }

    /** Reads a file of the directory once and checks those bytes, so a file swapped after verification is caught. */
    private byte[] readAndCheck(String name, Map<String, String> sums) {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw corrupt(name + (sums.containsKey(name) ? " is listed in " + ModelPackage.CHECKSUMS + " but" : " is")
                    + " missing");
        }
        byte[] bytes = read(file);
        String expected = sums.get(name);
        if (expected != null) {
            String actual = Sha256.of(bytes);
            if (!actual.equals(expected)) {
                throw corrupt(name + " checksum mismatch (expected " + expected + ", got " + actual + ")");
            }
        }
        return bytes;
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private String versionOr(String version) {
        return version == null || version.isBlank() ? fallbackVersion : version;
    }

    private boolean weightsMissing(byte[] manifest) {
        try {
            String weights = ModelPackage.readHead(manifest, this::corrupt).weightsFile();
            return weights == null || !Files.isRegularFile(dir.resolve(weights).normalize());
        } catch (ModelPackageException e) {
            return true; // unreadable: the plain-directory checks name the problem (bad JSON, checksum)
        }
    }

    private ModelPackageException corrupt(String problem) {
        return new ModelPackageException("model at " + dir + " is corrupt: " + problem);
    }

    @Override
    public String toString() {
        return "LocalModelLoader[" + dir + "]";
    }
}
