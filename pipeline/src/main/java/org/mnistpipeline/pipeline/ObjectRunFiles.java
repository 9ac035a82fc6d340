package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * {@link RunFiles} of a home in an object store: a published directory becomes the objects under
 * {@code <prefix>/<name>/}, its {@code SHA256SUMS} (when it has one, as artefacts do) uploaded last
 * so that a reader that finds it finds the rest; a fetch downloads into a fresh scratch directory
 * every time, so a step run again never reads an earlier attempt's copy.
 */
record ObjectRunFiles(ObjectStorage storage, ObjectPath prefix, ObjectPath home, Path scratch) implements RunFiles {
    private static final String CHECKSUMS = "SHA256SUMS";

    @Override
    public String publish(Path local, String name) {
        return publishTo(prefix.resolve(name), local);
    }

    @Override
    public String location(String key) {
        return home.resolve(key).toString();
    }

    @Override
    public String publishAt(String key, Path local) {
        return publishTo(home.resolve(key), local);
    }

    private String publishTo(ObjectPath target, Path local) {
        if (Files.isRegularFile(local)) {
            storage.upload(target, local);
            return target.toString();
        }
        List<String> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(local)) {
            walk.filter(Files::isRegularFile).map(f -> local.relativize(f).toString().replace('\\', '/'))
                    .sorted().forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + local + " to publish it", e);
        }
        if (files.remove(CHECKSUMS)) {
            files.add(CHECKSUMS);
        }
        Set<String> published = new HashSet<>();
        for (String file : files) {
            published.add(target.resolve(file).key());
            storage.upload(target.resolve(file), local.resolve(file));
        }
        // An earlier attempt of the step may have published files this one did not write.
        for (String key : storage.list(target)) {
            if (!published.contains(key)) {
                storage.delete(new ObjectPath(target.bucket(), key));
            }
        }
        return target.toString();
    }

    @Override
    public Path fetch(String location) {
        if (!ObjectPath.isUri(location)) {
            return Path.of(location);
        }
        ObjectPath source = ObjectPath.parse(location);
        Path dir = scratch.resolve("fetched").resolve(Sha256.of(location.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .substring(0, 16));
        try {
            FileTrees.delete(dir);
            Files.createDirectories(dir);
            List<String> keys = storage.list(source);
            if (keys.isEmpty()) {
                // Not a prefix: one object, such as a SageMaker training job's model.tar.gz.
                Path file = dir.resolve(source.name());
                try {
                    storage.download(source, file);
                } catch (ObjectStorage.NotFound e) {
                    throw new DataException("nothing at " + location + ": neither an object nor a prefix of objects");
                }
                return file;
            }
            for (String key : keys) {
                ObjectPath object = new ObjectPath(source.bucket(), key); // refuses '..' and empty segments
                Path file = dir.resolve(source.relativize(key)).normalize();
                if (!file.startsWith(dir)) {
                    throw new DataException("refusing " + object + ": it would land outside " + dir);
                }
                Files.createDirectories(file.getParent());
                storage.download(object, file);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch " + location + " into " + dir, e);
        }
    }
}
