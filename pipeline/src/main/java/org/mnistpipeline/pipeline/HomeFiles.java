package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.io.FileTrees;

/**
 * Files under MNIST_HOME that something outside the step's own process reads by location: a
 * SageMaker training job's channels, its output, the {@code model.tar.gz} an endpoint serves. A
 * step hands such a thing over as a location string, never as a path of its own machine, so the
 * same step works when MNIST_HOME is a directory (locations are absolute paths) and when it is an
 * S3 prefix (locations are {@code s3://} URIs, an implementation over the S3 stores).
 *
 * <p>Keys are relative, {@code /}-separated, without {@code .} or {@code ..} segments.
 */
public interface HomeFiles {

    /** Where {@code key} is, as the services that read it are told. */
    String location(String key);

    /**
     * Copies the local file or directory tree {@code local} to {@code key}, replacing whatever was
     * there, and returns its {@link #location}. Readers never see a half-copied tree.
     */
    String publish(String key, Path local);

    /**
     * The file or directory tree at {@code location} on this machine: the thing itself when it is
     * local, else a copy under {@code scratch}.
     */
    Path fetch(String location, Path scratch);

    /** MNIST_HOME as a local directory. */
    static HomeFiles local(Path root) {
        Path home = root.toAbsolutePath().normalize();
        return new HomeFiles() {
            @Override
            public String location(String key) {
                return home.resolve(checkKey(key)).toString();
            }

            @Override
            public String publish(String key, Path local) {
                Path target = home.resolve(checkKey(key));
                try {
                    Files.createDirectories(target.getParent());
                    // Copied beside the target, then renamed over it: a reader sees the old tree or the new one.
                    Path staging = target.resolveSibling("." + target.getFileName() + "-" + UUID.randomUUID());
                    if (Files.isDirectory(local)) {
                        FileTrees.copy(local, staging);
                    } else {
                        Files.copy(local, staging);
                    }
                    Path old = target.resolveSibling("." + target.getFileName() + "-old-" + UUID.randomUUID());
                    if (Files.exists(target)) {
                        Files.move(target, old);
                    }
                    Files.move(staging, target);
                    FileTrees.delete(old);
                    return target.toString();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot publish " + local + " to " + target, e);
                }
            }

            @Override
            public Path fetch(String location, Path scratch) {
                if (location.startsWith("s3://")) {
                    throw new DataException(location + " is in S3, but MNIST_HOME (" + home + ") is a local directory");
                }
                Path path = Path.of(location);
                if (!Files.exists(path)) {
                    throw new DataException(location + " does not exist");
                }
                return path;
            }
        };
    }

    /** {@code key} if it is a relative key without empty, {@code .} or {@code ..} segments. */
    static String checkKey(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("bad key '" + key + "': relative, no leading or trailing /");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("bad key '" + key + "': empty, . or .. segment");
            }
        }
        return key;
    }
}
