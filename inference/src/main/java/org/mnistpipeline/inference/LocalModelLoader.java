package org.mnistpipeline.inference;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.model.ModelManifest;
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
 * manifest names (or has no manifest); anything else is treated as a package and must pass its checks.
 */
public final class LocalModelLoader implements ModelLoader {
    public static final String MODEL_FILE = "model.onnx";
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
        if (Files.isRegularFile(manifest) && !(Files.isRegularFile(model) && weightsMissing(manifest))) {
            return loadPackage();
        }
        if (Files.isRegularFile(model)) {
            return loadPlain(model, manifest);
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
        byte[] onnx = readAndCheck(pkg.file(MODEL_FILE), readSums(dir.resolve(ModelPackage.CHECKSUMS)));
        return new LoadedModel(version, onnx, Optional.of(pkg.manifest()), dir.toString());
    }

    private LoadedModel loadPlain(Path model, Path manifestFile) {
        Path sumsFile = dir.resolve(ModelPackage.CHECKSUMS);
        Map<String, String> sums = Map.of();
        if (Files.isRegularFile(sumsFile)) {
            sums = readSums(sumsFile);
            if (!sums.containsKey(MODEL_FILE)) {
                throw corrupt(ModelPackage.CHECKSUMS + " does not list " + MODEL_FILE
                        + "; regenerate it with `sha256sum * > " + ModelPackage.CHECKSUMS + "`");
            }
            for (var entry : sums.entrySet()) {
                if (entry.getKey().equals(MODEL_FILE)) {
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
        Optional<ModelManifest> manifest = Files.isRegularFile(manifestFile) ? Optional.of(readManifest(manifestFile))
                : Optional.empty();
        String version = versionOr(manifest.map(ModelManifest::version).orElse(null));
        byte[] onnx = readAndCheck(model, sums);
        return new LoadedModel(version, onnx, manifest, dir.toString());
    }

    /** Reads the model once and checks those bytes, so a file swapped after verification is caught. */
    private byte[] readAndCheck(Path model, Map<String, String> sums) {
        byte[] onnx;
        try {
            onnx = Files.readAllBytes(model);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + model, e);
        }
        String expected = sums.get(MODEL_FILE);
        if (expected != null) {
            String actual = Sha256.of(onnx);
            if (!actual.equals(expected)) {
                throw corrupt(MODEL_FILE + " checksum mismatch (expected " + expected + ", got " + actual + ")");
            }
        }
        return onnx;
    }

    private String versionOr(String version) {
        return version == null || version.isBlank() ? fallbackVersion : version;
    }

    private boolean weightsMissing(Path manifest) {
        try {
            JsonNode weights = Json.mapper().readTree(manifest.toFile()).path("weightsFile");
            return !weights.isTextual() || !Files.isRegularFile(dir.resolve(weights.asText()).normalize());
        } catch (IOException | RuntimeException e) {
            return false; // unreadable: let the package checks explain what is wrong
        }
    }

    private ModelManifest readManifest(Path file) {
        try {
            JsonNode tree = Json.mapper().readTree(file.toFile());
            int format = tree.path("formatVersion").asInt(-1);
            if (format != ModelManifest.FORMAT_VERSION) {
                throw corrupt(ModelPackage.MANIFEST + " has format version " + format + ", but this build reads only "
                        + ModelManifest.FORMAT_VERSION);
            }
            return Json.mapper().treeToValue(tree, ModelManifest.class);
        } catch (IOException | IllegalArgumentException e) {
            throw corrupt(ModelPackage.MANIFEST + " is not a valid manifest (" + e.getMessage() + ")");
        }
    }

    /**
     * Parses GNU sha256sum output. Our own reader (the registry's is internal to it) so a plain
     * directory written by {@code sha256sum} is checked without a full package around it.
     */
    private Map<String, String> readSums(Path file) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw corrupt(ModelPackage.CHECKSUMS + " cannot be read as UTF-8 text (" + e.getMessage() + ")");
        }
        Map<String, String> sums = new LinkedHashMap<>();
        int lineNumber = 0;
        for (String line : (Iterable<String>) content.lines()::iterator) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            if (line.length() < 67 || line.charAt(64) != ' ' || (line.charAt(65) != ' ' && line.charAt(65) != '*')
                    || !line.substring(0, 64).chars().allMatch(HexFormat::isHexDigit)) {
                throw corrupt(ModelPackage.CHECKSUMS + " line " + lineNumber + " is not '<sha256>  <path>'");
            }
            String path = line.substring(66);
            if (path.startsWith("/") || path.contains("\\") || ("/" + path + "/").contains("/../")
                    || !dir.resolve(path).normalize().startsWith(dir)) {
                throw corrupt(ModelPackage.CHECKSUMS + " line " + lineNumber + " names a path outside the directory: "
                        + path);
            }
            sums.put(path, line.substring(0, 64).toLowerCase(java.util.Locale.ROOT));
        }
        return sums;
    }

    private ModelPackageException corrupt(String problem) {
        return new ModelPackageException("model at " + dir + " is corrupt: " + problem);
    }

    @Override
    public String toString() {
        return "LocalModelLoader[" + dir + "]";
    }
}
