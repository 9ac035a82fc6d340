package org.mnistpipeline.inference;

import java.util.Map;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelPackageException;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * Loads {@value ModelPackage#ONNX} from an object prefix, such as a registry version
 * ({@code s3://bucket/home/registry/models/v7}) or any prefix holding {@code model.onnx},
 * {@code SHA256SUMS} and optionally {@code manifest.json}. Straight into memory: nothing is
 * written to disk, so a Lambda function that loads at init keeps the model in its SnapStart
 * snapshot. {@code SHA256SUMS} is required and must list {@value ModelPackage#ONNX}; the bytes of
 * every file used are checked against it. Files it lists that serving does not use (weights,
 * report) are not read.
 */
public final class ObjectModelLoader implements ModelLoader {
    private final ObjectStorage storage;
    private final ObjectPath prefix;
    private final String fallbackVersion;

    /** {@code fallbackVersion} is reported when the prefix has no manifest naming a version. */
    public ObjectModelLoader(ObjectStorage storage, ObjectPath prefix, String fallbackVersion) {
        if (fallbackVersion == null || fallbackVersion.isBlank()) {
            throw new IllegalArgumentException("fallback version must not be blank");
        }
        this.storage = storage;
        this.prefix = prefix;
        this.fallbackVersion = fallbackVersion;
    }

    @Override
    public LoadedModel load() {
        byte[] sumsBytes = read(ModelPackage.CHECKSUMS);
        Map<String, String> sums = ModelPackage.parseChecksums(sumsBytes, this::corrupt);
        if (!sums.containsKey(ModelPackage.ONNX)) {
            throw corrupt(ModelPackage.CHECKSUMS + " does not list " + ModelPackage.ONNX);
        }
        String version = fallbackVersion;
        byte[] manifest = null;
        if (sums.containsKey(ModelPackage.MANIFEST)) {
            manifest = readAndCheck(ModelPackage.MANIFEST, sums);
            ModelPackage.Head head = ModelPackage.readHead(manifest, this::corrupt);
            ModelPackage.checkFormatVersion(head.formatVersion(), java.nio.file.Path.of(prefix.key()));
            if (head.version() != null && !head.version().isBlank()) {
                version = head.version();
            }
        }
        return new LoadedModel(version, readAndCheck(ModelPackage.ONNX, sums), manifest, prefix.toString());
    }

    /** Reads one object and checks those very bytes against its digest. */
    private byte[] readAndCheck(String name, Map<String, String> sums) {
        byte[] bytes = read(name);
        String actual = Sha256.of(bytes);
        if (!actual.equals(sums.get(name))) {
            throw corrupt(name + " checksum mismatch (expected " + sums.get(name) + ", got " + actual + ")");
        }
        return bytes;
    }

    private byte[] read(String name) {
        return storage.get(prefix.resolve(name)).map(ObjectStorage.Stored::bytes)
                .orElseThrow(() -> corrupt(name + " is missing"));
    }

    private ModelPackageException corrupt(String problem) {
        return new ModelPackageException("model at " + prefix + " is corrupt or incomplete: " + problem);
    }

    @Override
    public String toString() {
        return "ObjectModelLoader[" + prefix + "]";
    }
}
