package org.mnistpipeline.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelRegistry;

/**
 * Where the server's model comes from. Always configured by the operator, never by a request: no
 * endpoint loads a model from a URL or path it was sent.
 */
public interface ModelSource {
    /** The directory SageMaker unpacks {@code model.tar.gz} into. */
    Path SAGEMAKER_MODEL_DIR = Path.of("/opt/ml/model");
    /** Overrides every other source with a model directory (tests, local runs). */
    String MODEL_DIR_ENV = "MNIST_MODEL_DIR";
    /** The registry alias served when no directory is given. */
    String PRODUCTION = "production";

    /**
     * A cheap token that changes whenever a different model becomes available (a new alias target,
     * new checksums). Polled every couple of seconds, so it must not hash weights.
     */
    String fingerprint();

    /** Reads and verifies the model now. */
    LoadedModel load();

    /** For logs and error messages. */
    String describe();

    /**
     * What {@code GET /models} tells clients about the source: its kind, never a local path (a
     * request must not learn how the server's disk is laid out). Log lines use {@link #describe()}.
     */
    default String publicName() {
        return "model directory";
    }

    /** A model directory: a registry package or a plain directory with {@code model.onnx}. */
    static ModelSource directory(Path dir) {
        return new DirectoryModelSource(dir);
    }

    /** Whatever version {@code alias} points at in {@code registry}, followed as it moves. */
    static ModelSource registry(ModelRegistry registry, String alias) {
        return new RegistryModelSource(registry, alias);
    }

    /**
     * The source a server uses when not told otherwise, first match wins: {@code explicitDir}
     * (a command-line flag), {@value #MODEL_DIR_ENV}, {@code /opt/ml/model} when present (SageMaker),
     * else the home registry's {@value #PRODUCTION} alias.
     */
    static ModelSource resolve(Optional<Path> explicitDir, Map<String, String> env, Path sageMakerDir,
            Locations locations) {
        return resolve(explicitDir, env, sageMakerDir, () -> new LocalModelRegistry(locations.registry()));
    }

    /**
     * As {@link #resolve(Optional, Map, Path, Locations)}, the registry being {@code registry}'s (the
     * home's, on disk or in S3); it is opened only when no directory is found first.
     */
    static ModelSource resolve(Optional<Path> explicitDir, Map<String, String> env, Path sageMakerDir,
            Supplier<ModelRegistry> registry) {
        if (explicitDir.isPresent()) {
            return directory(explicitDir.get());
        }
        String fromEnv = env.get(MODEL_DIR_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return directory(Path.of(fromEnv));
        }
        if (Files.isDirectory(sageMakerDir)) {
            return directory(sageMakerDir);
        }
        return registry(registry.get(), PRODUCTION);
    }
}
