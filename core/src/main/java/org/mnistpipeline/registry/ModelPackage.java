package org.mnistpipeline.registry;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.JsonStreams;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.model.ModelManifest;

/**
 * A model on disk, and the one owner of its format: a directory holding {@code manifest.json}, the
 * weights file it names, any other files (report, plots, the ONNX export {@value #ONNX}) and
 * {@code SHA256SUMS} covering all of them. A package is only handed out by {@link #seal} or
 * {@link #open}, so holding one means its files were complete and unmodified when it was checked.
 * Files are hashed as streams: packages reach tens of MB. Loaders of plain model directories (the
 * Lambda function, a SageMaker container) read the same format through {@link #readChecksums},
 * {@link #readHead} and {@link #checkFormatVersion}.
 */
public final class ModelPackage {
    public static final String MANIFEST = "manifest.json";
    public static final String CHECKSUMS = "SHA256SUMS";
    /** The ONNX export inside a package, and the model file of a plain model directory. */
    public static final String ONNX = "model.onnx";

    /**
     * The manifest fields a loader needs, read by streaming ({@link #readHead}): no data binding at
     * a function's cold start. Absent fields are -1 and null.
     */
    public record Head(int formatVersion, String version, String weightsFile) {}

    private final Path dir;
    private final ModelManifest manifest;
    private final SortedSet<String> files;

    private ModelPackage(Path dir, ModelManifest manifest, SortedSet<String> files) {
        this.dir = dir;
        this.manifest = manifest;
        this.files = Collections.unmodifiableSortedSet(files);
    }

    /**
     * Checks that {@code stagingDir} holds a readable manifest of a known format and the weights it
     * names, then writes {@code SHA256SUMS} over every file (atomically, replacing an old one).
     */
    public static ModelPackage seal(Path stagingDir) {
        Path dir = stagingDir.toAbsolutePath().normalize();
        Function<String, ModelPackageException> failure = sealFailure(dir);
        if (!Files.isDirectory(dir)) {
            throw failure.apply("it is not a directory");
        }
        SortedSet<String> files = PackagePaths.regularFiles(dir, failure);
        files.remove(CHECKSUMS);
        ModelManifest manifest = readManifest(dir, files::contains, failure);
        SortedMap<String, String> digests = new TreeMap<>();
        for (String file : files) {
            digests.put(file, Sha256.of(dir.resolve(file)));
        }
        AtomicFiles.writeString(dir.resolve(CHECKSUMS), Sha256Sums.of(digests).format());
        return new ModelPackage(dir, manifest, files);
    }

    /**
     * Opens a sealed package after checking every byte against {@code SHA256SUMS}: no file missing,
     * none added, none changed, no entry outside the directory, and a format version we can read.
     */
    public static ModelPackage open(Path packageDir) {
        Path dir = packageDir.toAbsolutePath().normalize();
        Function<String, ModelPackageException> corrupt = corruption(dir);
        if (!Files.isDirectory(dir)) {
            throw new ModelPackageException("no model package at " + dir + ": it is not a directory");
        }
        Sha256Sums sums = readSums(dir, corrupt);
        SortedSet<String> present = PackagePaths.regularFiles(dir, corrupt);
        present.remove(CHECKSUMS);
        for (String file : present) {
            if (!sums.digests().containsKey(file)) {
                throw corrupt.apply("unexpected file " + file + " is not listed in " + CHECKSUMS
                        + " (added after sealing?)");
            }
        }
        for (String file : sums.digests().keySet()) {
            if (!present.contains(file)) {
                throw corrupt.apply(file + " is missing");
            }
        }
        sums.digests().forEach((file, expected) -> {
            String actual = Sha256.of(dir.resolve(file));
            if (!actual.equals(expected)) {
                throw corrupt.apply(file + " checksum mismatch (expected " + expected + ", got " + actual + ")");
            }
        });
        ModelManifest manifest = readManifest(dir, sums.digests()::containsKey, corrupt);
        return new ModelPackage(dir, manifest, new TreeSet<>(sums.digests().keySet()));
    }

    /**
     * Reads the manifest of an unsealed staging directory with the checks {@link #seal} makes, so
     * the registry can reject a bad package before it reserves a version number for it.
     */
    static ModelManifest readStagedManifest(Path stagingDir) {
        Path dir = stagingDir.toAbsolutePath().normalize();
        return readManifest(dir, file -> Files.isRegularFile(dir.resolve(file)), sealFailure(dir));
    }

    /**
     * Reads a stored package's manifest without hashing its files: listing a registry must not
     * read every version's weights. Anything that uses the model goes through {@link #open}.
     */
    static ModelManifest readManifestUnverified(Path packageDir) {
        Path dir = packageDir.toAbsolutePath().normalize();
        return readManifest(dir, file -> Files.isRegularFile(dir.resolve(file)), corruption(dir));
    }

    public Path dir() {
        return dir;
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public Path weights() {
        return dir.resolve(manifest.weightsFile());
    }

    /** A file of the package by its '/'-separated relative path, e.g. {@code report/report.html}. */
    public Path file(String relative) {
        if (!files.contains(relative)) {
            throw new ModelPackageException("model package " + dir + " has no file " + relative
                    + "; it holds " + files);
        }
        return dir.resolve(relative);
    }

    /** Relative paths of every file in the package except {@code SHA256SUMS}, sorted. */
    public SortedSet<String> files() {
        return files;
    }

    @Override
    public String toString() {
        return "ModelPackage[" + dir + "]";
    }

    private static Function<String, ModelPackageException> sealFailure(Path dir) {
        return problem -> new ModelPackageException(
                "cannot seal model package " + dir + ": " + problem + "; fix the staged files and seal again");
    }

    private static Function<String, ModelPackageException> corruption(Path dir) {
        return problem -> new ModelPackageException(
                "model package " + dir + " is corrupt: " + problem + "; restore it or delete the version");
    }

    private static Sha256Sums readSums(Path dir, Function<String, ModelPackageException> corrupt) {
        Path file = dir.resolve(CHECKSUMS);
        if (!Files.isRegularFile(file)) {
            throw corrupt.apply(CHECKSUMS + " is missing (the package was never sealed, or was damaged)");
        }
        return new Sha256Sums(readChecksums(dir, corrupt));
    }

    /**
     * {@code SHA256SUMS} of {@code dir} (GNU sha256sum's format): lower-case digest by relative path.
     * An entry that escapes the directory, a malformed line or non-UTF-8 text is {@code failure}'s.
     */
    public static SortedMap<String, String> readChecksums(Path dir, Function<String, ModelPackageException> failure) {
        Path file = dir.resolve(CHECKSUMS);
        try {
            return parseChecksums(Files.readAllBytes(file), failure);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** {@code SHA256SUMS} given as bytes (an object read from a store), checked as {@link #readChecksums} does. */
    public static SortedMap<String, String> parseChecksums(byte[] content,
            Function<String, ModelPackageException> failure) {
        try {
            return Sha256Sums.parse(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(content)).toString())
                    .digests();
        } catch (CharacterCodingException e) {
            throw failure.apply(CHECKSUMS + " is not UTF-8 text");
        } catch (IllegalArgumentException e) {
            throw failure.apply(CHECKSUMS + " " + e.getMessage());
        }
    }

    /** The top-level fields of a manifest's bytes, by streaming; {@code failure} when it is not a JSON object. */
    public static Head readHead(byte[] manifest, Function<String, ModelPackageException> failure) {
        int format = -1;
        String version = null;
        String weights = null;
        try (JsonParser p = JsonStreams.FACTORY.createParser(manifest)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw failure.apply(MANIFEST + " is not a JSON object");
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
            throw failure.apply(MANIFEST + " is not valid JSON (" + e.getMessage() + ")");
        }
        return new Head(format, version, weights);
    }

    /**
     * Refuses a manifest format this build does not read, with the upgrade hint: a newer format
     * may not bind to today's record, and "upgrade" is a better answer than a binding error.
     */
    public static void checkFormatVersion(int formatVersion, Path dir) {
        if (formatVersion != ModelManifest.FORMAT_VERSION) {
            throw new ModelPackageException("model package " + dir + " has format version " + formatVersion
                    + ", but this build reads only version " + ModelManifest.FORMAT_VERSION
                    + "; use the mnist-pipeline release that wrote it, or a newer one");
        }
    }

    /** Reads the manifest, checking the format version on the raw JSON before binding it. */
    private static ModelManifest readManifest(Path dir, Predicate<String> exists,
            Function<String, ModelPackageException> failure) {
        if (!exists.test(MANIFEST)) {
            throw failure.apply(MANIFEST + " is missing");
        }
        ModelManifest manifest;
        try {
            JsonNode tree = Json.mapper().readTree(dir.resolve(MANIFEST).toFile());
            JsonNode format = tree == null ? null : tree.get("formatVersion");
            if (format == null || !format.canConvertToInt()) {
                throw failure.apply(MANIFEST + " has no formatVersion");
            }
            checkFormatVersion(format.intValue(), dir);
            manifest = Json.mapper().treeToValue(tree, ModelManifest.class);
        } catch (JsonProcessingException e) {
            throw failure.apply(MANIFEST + " is not a valid manifest (" + e.getOriginalMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw failure.apply(MANIFEST + " is not a valid manifest (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(MANIFEST), e);
        }
        String weights = manifest.weightsFile();
        if (weights == null || PackagePaths.problem(weights).isPresent()) {
            throw failure.apply(MANIFEST + " names an invalid weights file '" + weights + "'");
        }
        if (!exists.test(weights)) {
            throw failure.apply("weights file " + weights + " named by " + MANIFEST + " is missing");
        }
        return manifest;
    }
}
