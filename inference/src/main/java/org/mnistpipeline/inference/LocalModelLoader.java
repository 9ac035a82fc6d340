package org.mnistpipeline.inference;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * manifest names (or has no readable manifest); anything else is treated as a package and must pass
 * its checks.
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
        Map<String, String> sums = readSums(dir.resolve(ModelPackage.CHECKSUMS));
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
            sums = readSums(sumsFile);
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
            ManifestHead head = ManifestHead.of(manifest, this::corrupt);
            if (head.formatVersion() != ModelManifest.FORMAT_VERSION) {
                throw corrupt(ModelPackage.MANIFEST + " has format version " + head.formatVersion()
                        + ", but this build reads only " + ModelManifest.FORMAT_VERSION
                        + "; use the mnist-pipeline release that wrote it, or a newer one");
            }
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
            String weights = ManifestHead.of(manifest, this::corrupt).weightsFile();
            return weights == null || !Files.isRegularFile(dir.resolve(weights).normalize());
        } catch (ModelPackageException e) {
            return true; // unreadable: the plain-directory checks name the problem (bad JSON, checksum)
        }
    }

    /** The top-level manifest fields loading needs, read by streaming: no data binding at cold start. */
    private record ManifestHead(int formatVersion, String version, String weightsFile) {
        static ManifestHead of(byte[] json, java.util.function.Function<String, ModelPackageException> corrupt) {
            int format = -1;
            String version = null;
            String weights = null;
            try (JsonParser p = JsonStreams.FACTORY.createParser(json)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw corrupt.apply(ModelPackage.MANIFEST + " is not a JSON object");
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (field) {
                        case "formatVersion" -> format = value == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
                        case "version" -> version = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        case "weightsFile" -> weights = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        default -> p.skipChildren();
                    }
                }
            } catch (IOException e) {
                throw corrupt.apply(ModelPackage.MANIFEST + " is not valid JSON (" + e.getMessage() + ")");
            }
            return new ManifestHead(format, version, weights);
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
