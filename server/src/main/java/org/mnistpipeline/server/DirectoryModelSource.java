package org.mnistpipeline.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelPackageException;

/** A model directory on local disk, reloaded when its checksums or files change. */
final class DirectoryModelSource implements ModelSource {
    private final Path dir;

    DirectoryModelSource(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /**
     * The checksum file's content plus size and modification time of the files that matter. A new
     * model always brings a new {@code SHA256SUMS}; directories without one are caught by the
     * model's size and time. No hashing of weights: this runs every poll.
     */
    @Override
    public String fingerprint() {
        if (!Files.isDirectory(dir)) {
            throw new ModelPackageException("no model at " + dir + ": it is not a directory");
        }
        StringBuilder token = new StringBuilder();
        for (String name : new String[] {ModelPackage.CHECKSUMS, ModelPackage.MANIFEST, LocalModelLoader.MODEL_FILE}) {
            Path file = dir.resolve(name);
            try {
                BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
                token.append(name).append(':').append(attrs.size()).append(':')
                        .append(attrs.lastModifiedTime().toMillis()).append(';');
                if (name.equals(ModelPackage.CHECKSUMS)) {
                    token.append(Sha256.of(Files.readAllBytes(file))).append(';');
                }
            } catch (NoSuchFileException e) {
                token.append(name).append(":absent;");
            } catch (IOException e) {
                throw new ModelPackageException("cannot read " + file + ": " + e.getMessage());
            }
        }
        return token.toString();
    }

    @Override
    public LoadedModel load() {
        return new LocalModelLoader(dir).load();
    }

    @Override
    public String describe() {
        return "model directory " + dir;
    }

    @Override
    public String toString() {
        return describe();
    }
}
