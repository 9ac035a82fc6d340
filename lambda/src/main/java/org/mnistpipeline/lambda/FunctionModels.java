package org.mnistpipeline.lambda;

import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.ObjectModelLoader;
import org.mnistpipeline.registry.ObjectModelRegistry;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.ObjectPath;

/**
 * Where the function's model comes from, in this order:
 * <ol>
 *   <li>{@value #MODEL_URI}: a pinned version in S3 (a registry version's prefix,
 *       {@code s3://bucket/home/registry/models/v7}, or any prefix holding {@code model.onnx} and
 *       {@code SHA256SUMS});</li>
 *   <li>{@value #HOME} = {@code s3://…} (what the Edge stack sets): the registry there, version
 *       {@value #VERSION} when set (the retraining pipeline's deploy states pin it), else the version
 *       alias {@value #ALIAS} (default {@code production}) names at init; a registry without that alias
 *       yet (a fresh deployment) falls through to</li>
 *   <li>{@code MODEL_DIR} on local disk: the model bundled in the zip.</li>
 * </ol>
 * Either is read in the constructor, Lambda's init phase, so with SnapStart the snapshot holds the
 * loaded model and a restored environment reads nothing. Because the stack names no version, a
 * redeploy starts from whatever the registry's alias says: it cannot roll the served model back.
 */
final class FunctionModels {
    /** A pinned model version in S3; takes precedence over everything else. */
    static final String MODEL_URI = "MODEL_URI";
    /** MNIST_HOME: with an {@code s3://} prefix, the function reads the registry under it. */
    static final String HOME = "MNIST_HOME";
    /** A version of the registry under {@value #HOME}, pinned. */
    static final String VERSION = "MNIST_MODEL_VERSION";
    /** The alias of the registry under {@value #HOME} to serve when no version is pinned. */
    static final String ALIAS = "MNIST_MODEL_ALIAS";

    private FunctionModels() {}

    /** The loader the environment asks for; a malformed {@value #MODEL_URI} fails init with the reason. */
    static ModelLoader loader(Map<String, String> env, LambdaConfig config) {
        String uri = env.getOrDefault(MODEL_URI, "").trim();
        if (!uri.isEmpty()) {
            ObjectPath prefix = ObjectPath.parse(uri);
            if (prefix.key().isEmpty()) {
                throw new IllegalArgumentException(MODEL_URI + " must name a model's prefix in a bucket, such as"
                        + " s3://bucket/home/registry/models/v7, not a whole bucket: " + uri);
            }
            return new ObjectModelLoader(S3Objects.fromEnvironment(env), prefix, LocalModelLoader.DEFAULT_VERSION);
        }
        String home = env.getOrDefault(HOME, "").trim();
        if (ObjectPath.isUri(home)) {
            ObjectPath registry = ObjectPath.parse(home).resolve("registry");
            S3Objects s3 = S3Objects.fromEnvironment(env);
            String version = env.getOrDefault(VERSION, "").trim();
            if (version.isEmpty()) {
                String alias = env.getOrDefault(ALIAS, "production").trim();
                // Scratch is never used: only the alias object is read here.
                version = new ObjectModelRegistry(s3, registry, Path.of(System.getProperty("java.io.tmpdir"),
                        "mnist-registry")).alias(alias).orElse("");
            }
            if (!version.isEmpty()) {
                return new ObjectModelLoader(s3, registry.resolve("models").resolve(version),
                        LocalModelLoader.DEFAULT_VERSION);
            }
        }
        return new LocalModelLoader(config.modelDir());
    }
}
