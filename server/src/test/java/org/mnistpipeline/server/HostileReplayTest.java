package org.mnistpipeline.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.hostile.HostileInputs;

/**
 * The hostile corpus ({@link HostileInputs}) replayed against the real server in its own JVM,
 * started as {@code mnist serve} starts it ({@code -Xmx512m -XX:+UseParallelGC}): every case one
 * after another, then the maximum-size cases concurrently. No answer is a 5xx, except a 503 with
 * {@code Retry-After} for a request shed under concurrency; no error message names Java or
 * Jackson internals; the server is alive and still classifies a real digit right afterwards; its
 * resident set stays within its heap plus the JVM's and ONNX Runtime's own memory.
 */
class HostileReplayTest {
    /** As `mnist serve`: the heap the published limits are meant to fit. */
    static final List<String> SERVE_JVM = List.of("-Xmx512m", "-XX:+UseParallelGC");
    /** Beyond the heap: metaspace, code cache, thread stacks, ONNX Runtime and its session (measured: RSS 136 MiB idle, peak 738 MiB with a full heap). */
    static final long NON_HEAP_MIB = 320;
    static final int CONCURRENT_COPIES = 4;

    @TempDir
    Path tmp;

    @Test
    void hostileCorpusNeverGetsA5xxAndTheServerStaysCorrectWithinItsMemory() throws Exception {
        HostileInputs corpus = HostileInputs.aroundMnistTestImage(0);
        List<HostileInputs.Case> cases = corpus.all();
        Path model = Fixtures.modelDir(tmp.resolve("model"));
        try (ServerProcess server = ServerProcess.start(SERVE_JVM, List.of("--model-dir", model.toString(),
                "--monitor-dir", tmp.resolve("monitoring").toString()), tmp.resolve("server.log"))) {
            HostileReplay replay = new HostileReplay(server.uri);
            ModelLifecycleTest.waitFor(() -> new Http(server.uri).get("/ping").statusCode() == 200);
            long idleRss = server.rssMib();
            List<String> problems = new ArrayList<>();

            for (HostileInputs.Case c : cases) {
                HostileReplay.Answer a = replay.send(c);
                String verdict = HostileReplay.judge(c, a, false);
                if (!verdict.isEmpty()) {
                    problems.add(c.name() + ": " + verdict);
                }
            }

            List<HostileInputs.Case> big = new ArrayList<>();
            for (int i = 0; i < CONCURRENT_COPIES; i++) {
                big.addAll(corpus.maxSize());
            }
            Collections.shuffle(big, new java.util.Random(15));
            List<String> concurrentProblems = Collections.synchronizedList(new ArrayList<>());
            int[] shed = new int[1];
            try (ExecutorService clients = Executors.newFixedThreadPool(big.size())) {
                List<Future<?>> sent = new ArrayList<>();
                for (HostileInputs.Case c : big) {
                    sent.add(clients.submit(() -> {
                        HostileReplay.Answer a = replay.send(c);
                        String verdict = HostileReplay.judge(c, a, true);
                        if (!verdict.isEmpty()) {
                            concurrentProblems.add("concurrent " + c.name() + ": " + verdict);
                        }
                        if (a.status() == 503) {
                            synchronized (shed) {
                                shed[0]++;
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : sent) {
                    f.get();
                }
            }
            problems.addAll(concurrentProblems);

            HostileReplay.Answer control = replay.send(new HostileInputs.Case("control digit", "image/png",
                    corpus.digitPng(), java.util.Set.of(200), false, corpus.digitLabel()));
            System.out.printf("hostile replay: %d cases one by one, %d maximum-size at once (%d shed with 503);"
                    + " RSS idle %d MiB, peak %d MiB, after %d MiB (-Xmx512m)%n", cases.size(), big.size(), shed[0],
                    idleRss, server.peakRssMib(), server.rssMib());
            assertThat(problems).as("answers that broke the rules; server log:%n%s", server.output()).isEmpty();
            assertThat(control.status()).isEqualTo(200);
            assertThat(control.label()).as("a real digit after the replay").isEqualTo(corpus.digitLabel());
            assertThat(server.process.isAlive()).isTrue();
            assertThat(server.output()).doesNotContain("OutOfMemoryError");
            assertThat(server.peakRssMib()).as("peak RSS, MiB").isLessThan(512 + NON_HEAP_MIB);
        }
    }
}
