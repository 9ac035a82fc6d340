package org.mnistpipeline.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;

/** Relative paths inside a package: written with '/', never escaping the package directory. */
final class PackagePaths {
    private PackagePaths() {}

    /**
     * Why {@code relative} may not name a file inside a package, or empty when it may. Names with
     * a newline or backslash are refused too: sha256sum escapes those, and we never write them.
     */
    static Optional<String> problem(String relative) {
        if (relative == null || relative.isEmpty()) {
            return Optional.of("an empty path");
        }
        if (relative.startsWith("/")) {
            return Optional.of("an absolute path");
        }
        if (relative.chars().anyMatch(c -> c == '\\' || c == '\n' || c == '\r' || c == 0)) {
            return Optional.of("a path with a backslash, newline or NUL");
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return Optional.of("a path outside the package or not in canonical form");
            }
        }
        return Optional.empty();
    }

    /** '/'-joined path of {@code file} relative to {@code root}, the form used in SHA256SUMS. */
    static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    /**
     * Every regular file under {@code root} as sorted relative paths. Symbolic links and special
     * files are refused because they could point outside the package or change after sealing.
     */
    static SortedSet<String> regularFiles(Path root, Function<String, ModelPackageException> failure) {
        SortedSet<String> files = new TreeSet<>();
        try {
            Path real = root.toRealPath();
            Files.walkFileTree(real, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String name = relative(real, file);
                    if (!attrs.isRegularFile()) {
                        throw failure.apply(name + " is a symbolic link or special file; a package holds plain files only");
                    }
                    problem(name).ifPresent(p -> {
                        throw failure.apply("file name '" + name + "' is " + p);
                    });
                    files.add(name);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return files;
    }
}
