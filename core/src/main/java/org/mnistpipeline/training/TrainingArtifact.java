package org.mnistpipeline.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.io.TarGz;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * What training hands on to the release: the best weights and their {@link TrainingInfo}, self-
 * contained, so evaluation, export and registration need neither the training engine nor the
 * checkpoints. Stored as a directory locally, or as one gzipped tar (SageMaker's
 * {@code model.tar.gz} shape) where a single object is wanted:
 *
 * <pre>
 * training.json          the TrainingInfo
 * weights.safetensors    the weights of the best epoch
 * SHA256SUMS             digests of both, written last: an artefact without it is incomplete
 * </pre>
 *
 * Reading verifies both digests, so a half-written or altered artefact is refused, never released.
 *
 * @param weights the tensors in the order the architecture declares them
 */
public record TrainingArtifact(TrainingInfo info, SequencedMap<String, Tensor> weights) {
    public static final String INFO = "training.json";
    public static final String WEIGHTS = "weights.safetensors";
    public static final String CHECKSUMS = "SHA256SUMS";
    /** Larger than any model this project trains; bounds what reading a damaged archive allocates. */
    private static final long MAX_ARCHIVE_BYTES = 1L << 30;

    public TrainingArtifact {
        if (info.formatVersion() != TrainingInfo.FORMAT_VERSION) {
            throw new MnistException("training artefact format " + info.formatVersion() + " is not supported (this"
                    + " build reads " + TrainingInfo.FORMAT_VERSION + ")");
        }
        if (weights.isEmpty()) {
            throw new MnistException("a training artefact needs weights");
        }
        weights = java.util.Collections.unmodifiableSequencedMap(new LinkedHashMap<>(weights));
    }

    public static TrainingArtifact of(TrainingInfo info, List<Tensor> weights) {
        return new TrainingArtifact(info, new LinkedHashMap<>(WeightsFile.byName(weights)));
    }

    /** The weights as a list, in order. */
    public List<Tensor> weightList() {
        return new ArrayList<>(weights.values());
    }

    /**
     * Writes the artefact into {@code dir} (created if needed; an artefact already there is
     * replaced). {@code SHA256SUMS} goes last, so a crash leaves no artefact that reads as whole.
     *
     * @return {@code dir}
     */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(CHECKSUMS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
        SequencedMap<String, byte[]> files = files();
        files.forEach((name, bytes) -> AtomicFiles.write(dir.resolve(name), bytes));
        return dir;
    }

    /** Reads and verifies the artefact in {@code dir}. */
    public static TrainingArtifact read(Path dir) {
        SequencedMap<String, byte[]> files = new LinkedHashMap<>();
        for (String name : List.of(INFO, WEIGHTS, CHECKSUMS)) {
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new MnistException("no complete training artefact in " + dir + ": " + name + " is missing");
            }
            try {
                files.put(name, Files.readAllBytes(file));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        return parse(files, dir.toString());
    }

    /** Writes the artefact as one gzipped tar, atomically. */
    public void writeTarGz(Path archive) {
        TarGz.write(archive, files());
    }

    /** Reads and verifies an artefact written by {@link #writeTarGz}. */
    public static TrainingArtifact readTarGz(Path archive) {
        return parse(TarGz.read(archive, MAX_ARCHIVE_BYTES), archive.toString());
    }

    private SequencedMap<String, byte[]> files() {
        SequencedMap<String, byte[]> files = new LinkedHashMap<>();
        Path tmp = null;
        try {
            // WeightsFile writes to a path; the bytes are small enough to hold (a few MB).
            tmp = Files.createTempFile("weights", ".safetensors");
            WeightsFile.write(tmp, weightList());
            files.put(WEIGHTS, Files.readAllBytes(tmp));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise weights", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temp file is harmless
                }
            }
        }
        files.putFirst(INFO, (Json.pretty(info) + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder sums = new StringBuilder();
        files.forEach((name, bytes) -> sums.append(Sha256.of(bytes)).append("  ").append(name).append('\n'));
        files.put(CHECKSUMS, sums.toString().getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private static TrainingArtifact parse(Map<String, byte[]> files, String where) {
        byte[] sums = files.get(CHECKSUMS);
        if (sums == null) {
            throw new MnistException("no complete training artefact in " + where + ": " + CHECKSUMS + " is missing");
        }
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : new String(sums, StandardCharsets.UTF_8).split("\n")) {
            if (line.length() > 66 && line.charAt(64) == ' ') {
                expected.put(line.substring(66), line.substring(0, 64));
            }
        }
        for (String name : List.of(INFO, WEIGHTS)) {
            byte[] bytes = files.get(name);
            if (bytes == null) {
                throw new MnistException("training artefact " + where + " has no " + name);
            }
            if (!Sha256.of(bytes).equals(expected.get(name))) {
                throw new MnistException("training artefact " + where + " is corrupt: " + name
                        + " does not match its checksum in " + CHECKSUMS);
            }
        }
        TrainingInfo info;
        try {
            info = Json.mapper().readValue(files.get(INFO), TrainingInfo.class);
        } catch (JsonProcessingException e) {
            throw new MnistException("training artefact " + where + " has an unreadable " + INFO + ": "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Map<String, Tensor> weights = WeightsFile.read(new ByteArrayInputStream(files.get(WEIGHTS)), where);
            return new TrainingArtifact(info, new LinkedHashMap<>(weights));
        } catch (IOException e) {
            throw new MnistException("training artefact " + where + " has unreadable weights: " + e.getMessage(), e);
        }
    }
}
