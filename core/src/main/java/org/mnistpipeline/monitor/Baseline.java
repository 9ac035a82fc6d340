package org.mnistpipeline.monitor;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.registry.ModelPackage;

/**
 * What a model's predictions looked like on data like its training data: the reference that
 * drift is measured against. Computed when a model is released, from the model's own predictions
 * on the MNIST test set, and stored in the model package as {@value #FILE}.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param source        where the images came from, e.g. {@code "MNIST test set (10000 images)"}
 * @param createdAt     ISO-8601 instant
 * @param summary       the histograms, with the model version
 */
public record Baseline(int formatVersion, String source, String createdAt, PredictionSummary summary) {
    public static final int FORMAT_VERSION = 1;
    /** The file name inside a model package. */
    public static final String FILE = "baseline.json";

    public Baseline {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("baseline format " + formatVersion + " is not supported (this build reads "
                    + FORMAT_VERSION + ")");
        }
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(summary, "summary");
        if (summary.samples() == 0) {
            throw new IllegalArgumentException("a baseline needs at least one prediction");
        }
    }

    public static Baseline of(String source, PredictionSummary summary) {
        return new Baseline(FORMAT_VERSION, source, Instant.now().toString(), summary);
    }

    /** This baseline attributed to {@code version} (computed before registration assigned it). */
    public Baseline forVersion(String version) {
        return new Baseline(formatVersion, source, createdAt, summary.withModelVersion(version));
    }

    public String modelVersion() {
        return summary.modelVersion();
    }

    /** The JSON stored as {@value #FILE}. */
    public byte[] toJson() {
        return (Json.pretty(this) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public void write(Path file) {
        Json.writeAtomically(file, this);
    }

    public static Baseline read(Path file) {
        return Json.read(file, Baseline.class);
    }

    /** The baseline a model package carries as {@value #FILE}; empty for packages released without one. */
    public static Optional<Baseline> in(ModelPackage pkg) {
        return pkg.files().contains(FILE) ? Optional.of(read(pkg.file(FILE))) : Optional.empty();
    }
}
