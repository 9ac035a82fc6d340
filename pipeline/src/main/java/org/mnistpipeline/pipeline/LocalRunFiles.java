package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.store.ObjectPath;

/** {@link RunFiles} of a local home: locations are the paths the steps wrote. */
record LocalRunFiles(Path home) implements RunFiles {

    @Override
    public String publish(Path local, String name) {
        return local.toAbsolutePath().toString();
    }

    @Override
    public Path fetch(String location) {
        if (ObjectPath.isUri(location)) {
            throw new DataException(location + " is in S3, but MNIST_HOME is a local directory; run the step with"
                    + " MNIST_HOME=s3://bucket/prefix to read it");
        }
        return Path.of(location); // what reads it says what is wrong with it (missing, not a directory)
    }

    @Override
    public List<String> inboxBatches(String location) {
        if (ObjectPath.isUri(location)) {
            fetch(location); // says that an s3:// inbox needs MNIST_HOME in S3
        }
        Path inbox = Path.of(location);
        if (!Files.isDirectory(inbox)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(inbox)) {
            return entries.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .map(Path::toString).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list inbox " + inbox, e);
        }
    }

    @Override
    public String location(String key) {
        return target(key).toString();
    }

    @Override
    public String publishAt(String key, Path local) {
        Path target = target(key);
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

    private Path target(String key) {
        // ObjectPath's key rules: relative, no empty, '.' or '..' segments, so nothing lands outside home.
        new ObjectPath("home", key);
        return home.resolve(key);
    }
}
