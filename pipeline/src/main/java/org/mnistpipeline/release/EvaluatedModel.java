package org.mnistpipeline.release;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * A training artefact after its one scoring in ONNX Runtime: the exported graph that was scored,
 * the test-set evaluation, the drift baseline from the same predictions, and the report. Lives
 * in a directory, so evaluation and registration can run in different processes (or different
 * machines, once the directory is an object prefix):
 *
 * <pre>
 * evaluation.json   the Evaluation, the baseline and the digest of the weights that were scored
 * model.onnx        the graph that was scored
 * report/           report.html, metrics.json and the charts
 * </pre>
 *
 * @param dir       where the files are
 * @param artifact  the artefact that was scored
 * @param onnx      the exported graph that was scored
 */
public record EvaluatedModel(Path dir, TrainingArtifact artifact, byte[] onnx, Evaluation test, Baseline baseline) {
    public static final String FILE = "evaluation.json";
    public static final String ONNX = "model.onnx";
    public static final String REPORT = "report";

    /** What {@value #FILE} holds. */
    record Stored(String weightsSha256, Evaluation test, Baseline baseline) {}

    void write() {
        AtomicFiles.write(dir.resolve(ONNX), onnx);
        Json.writeAtomically(dir.resolve(FILE), new Stored(weightsDigest(artifact), test, baseline));
    }

    /**
     * Reads the evaluation in {@code dir} of {@code artifact}; refused when it scored other weights,
     * so a model is never registered with another model's numbers.
     */
    public static EvaluatedModel read(Path dir, TrainingArtifact artifact) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new MnistException("no evaluation in " + dir + ": " + FILE + " is missing");
        }
        Stored stored = Json.read(file, Stored.class);
        if (!stored.weightsSha256().equals(weightsDigest(artifact))) {
            throw new MnistException("the evaluation in " + dir + " scored other weights than the artefact to release");
        }
        try {
            return new EvaluatedModel(dir, artifact, Files.readAllBytes(dir.resolve(ONNX)), stored.test(),
                    stored.baseline());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(ONNX), e);
        }
    }

    /** The report directory written with the evaluation. */
    public Path report() {
        return dir.resolve(REPORT);
    }

    static String weightsDigest(TrainingArtifact artifact) {
        java.security.MessageDigest digest = org.mnistpipeline.io.Sha256.newDigest();
        artifact.weights().forEach((name, tensor) -> {
            digest.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 * tensor.data().length);
            bytes.asFloatBuffer().put(tensor.data());
            digest.update(bytes.array());
        });
        return org.mnistpipeline.io.Sha256.hex(digest);
    }
}
