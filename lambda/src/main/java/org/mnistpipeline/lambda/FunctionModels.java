package org.mnistpipeline.lambda;

import java.util.Map;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.ModelLoader;
import org.mnistpipeline.inference.ObjectModelLoader;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.ObjectPath;

/**
 * Where the function's model comes from: {@value #MODEL_URI} names a pinned version in S3 (a
 * registry version's prefix, {@code s3://bucket/home/registry/models/v7}, or any prefix holding
 * {@code model.onnx} and {@code SHA256SUMS}); without it, {@code MODEL_DIR} on local disk (the
 * model bundled in the zip). Either is read in the constructor, Lambda's init phase, so with
 * SnapStart the snapshot holds the loaded model and a restored environment reads nothing.
 */
final class FunctionModels {
    /** A pinned model version in S3; takes precedence over {@code MODEL_DIR}. */
    static final String MODEL_URI = "MODEL_URI";

    private FunctionModels() {}

    /** The loader the environment asks for; a malformed {@value #MODEL_URI} fails init with the reason. */
    static ModelLoader loader(Map<String, String> env, LambdaConfig config) {
        String uri = env.getOrDefault(MODEL_URI, "").trim();
        if (uri.isEmpty()) {
            return new LocalModelLoader(config.modelDir());
        }
        ObjectPath prefix = ObjectPath.parse(uri);
        if (prefix.key().isEmpty()) {
            throw new IllegalArgumentException(MODEL_URI + " must name a model's prefix in a bucket, such as"
                    + " s3://bucket/home/registry/models/v7, not a whole bucket: " + uri);
        }
        return new ObjectModelLoader(S3Objects.fromEnvironment(env), prefix, LocalModelLoader.DEFAULT_VERSION);
    }
}
