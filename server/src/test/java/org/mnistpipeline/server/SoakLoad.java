package org.mnistpipeline.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.mnistpipeline.inference.hostile.HostileInputs;
import org.mnistpipeline.inference.hostile.ProcessMemory;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.registry.LocalModelRegistry;

/**
 * The soak benchmark's two halves ({@code bench/soak.sh} runs them around {@code ./mnist serve}):
 *
 * <ul>
 *   <li>{@code setup}: registers the fixture model twice in the registry of {@code MNIST_HOME}
 *       (versions v1 and v2) and promotes v1 to production, for a registry-backed server;</li>
 *   <li>{@code run URI SECONDS CONCURRENCY PID OUT}: that many clients for that long, a fixed mix:
 *       seven in eight send real digits (PNG, JSON, .npy, CSV; the label is checked), the rest
 *       cycle through the hostile corpus, two of them through its maximum-size cases. A 503 with
 *       {@code Retry-After} is waited out and sent again, as a client or load balancer would; a
 *       dropped connection is retried. Every request sent must end in an answer; counts, statuses,
 *       model versions seen and the server's RSS (sampled every 5 s) go to {@code OUT} as JSON.</li>
 * </ul>
 */
public final class SoakLoad {
    /** Attempts for one request: a 503 with Retry-After, or a dropped connection, is sent again. */
    static final int MAX_ATTEMPTS = 30;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final URI invocations;
    private final LongAdder sent = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final LongAdder unanswered = new LongAdder();
    private final LongAdder shedRetries = new LongAdder();
    private final LongAdder transportRetries = new LongAdder();
    /** Dropped connections on real digits: the server never refuses those unread, so one here is a lost request. */
    private final LongAdder validTransportErrors = new LongAdder();
    private final LongAdder wrong = new LongAdder();
    private final Map<Integer, LongAdder> finalStatuses = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> versions = new ConcurrentHashMap<>();
    private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());

    private SoakLoad(URI base) {
        this.invocations = base.resolve("/invocations");
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("setup")) {
            setup();
            return;
        }
        URI base = URI.create(args[1]);
        int seconds = Integer.parseInt(args[2]);
        int concurrency = Integer.parseInt(args[3]);
        long pid = Long.parseLong(args[4]);
        Path out = Path.of(args[5]);
        new SoakLoad(base).run(seconds, concurrency, pid, out);
    }

    /** v1 and v2 of the fixture model in the registry of {@code MNIST_HOME}; production -> v1. */
    static void setup() throws IOException {
        Locations locations = Locations.fromEnvironment();
        LocalModelRegistry registry = new LocalModelRegistry(locations.registry());
        Path staging = Files.createTempDirectory("soak-staging");
        String v1 = registry.register(Fixtures.stagedPackage(staging.resolve("a"))).version();
        String v2 = registry.register(Fixtures.stagedPackage(staging.resolve("b"))).version();
        registry.promote(v1, "production");
        System.out.println(v1 + " " + v2);
    }

    private record Request(String name, String contentType, byte[] body, HostileInputs.Case hostile, int label) {}

    private void run(int seconds, int concurrency, long pid, Path out) throws Exception {
        HostileInputs corpus = HostileInputs.aroundMnistTestImage(0);
        List<Request> valid = validRequests();
        List<Request> hostile = new ArrayList<>();
        List<Request> maxSize = new ArrayList<>();
        for (HostileInputs.Case c : corpus.all()) {
            (c.maxSize() ? maxSize : hostile).add(new Request(c.name(), c.contentType(), c.body(), c, c.label()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<long[]> rss = java.util.Collections.synchronizedList(new ArrayList<>());
        List<double[]> load = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(5)) {
                long at = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                rss.add(new long[] {at, ProcessMemory.rssKb(pid) / 1024});
                load.add(new double[] {at, loadAverage()});
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        int maxSizeClients = Math.min(Integer.getInteger("soak.maxSizeClients", 2), concurrency);
        int hostileClients = Math.max(1, concurrency / 8 - maxSizeClients);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < concurrency; i++) {
                List<Request> mix = i < maxSizeClients ? maxSize : i < maxSizeClients + hostileClients ? hostile : valid;
                int offset = i;
                clients.submit(() -> {
                    for (int n = offset; System.nanoTime() < deadline; n++) {
                        send(mix.get(n % mix.size()));
                    }
                    return null;
                });
            }
        }
        sampler.join();
        double elapsed = (System.nanoTime() - start) / 1e9;
        write(out, elapsed, concurrency, maxSizeClients, hostileClients, rss, load);
    }

    /** The machine's one-minute load average (a shared machine: the figures are read against it). */
    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Real MNIST test digits in every body format, labels attached. */
    private static List<Request> validRequests() {
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int label = Digits.label(i);
            requests.add(new Request("digit " + i + " png", "image/png", Digits.png(i), null, label));
            requests.add(new Request("digit " + i + " json", "application/json",
                    Digits.json(List.of(i)).getBytes(java.nio.charset.StandardCharsets.US_ASCII), null, label));
            requests.add(new Request("digit " + i + " npy", "application/x-npy", Digits.npy(List.of(i)), null, label));
            requests.add(new Request("digit " + i + " csv", "text/csv",
                    Digits.csv(List.of(i)).getBytes(java.nio.charset.StandardCharsets.US_ASCII), null, label));
        }
        return requests;
    }

    private void send(Request r) {
        sent.increment();
        HttpRequest.Builder builder = HttpRequest.newBuilder(invocations).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
        if (r.contentType() != null) {
            builder.header("Content-Type", r.contentType());
        }
        HttpRequest request = builder.build();
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            HttpResponse<String> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                transportRetries.increment(); // the server may close a connection whose body it refused unread
                if (r.hostile() == null) {
                    validTransportErrors.increment();
                    note(r.name() + ": " + e);
                }
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            String retryAfter = response.headers().firstValue("retry-after").orElse(null);
            if (response.statusCode() == 503 && retryAfter != null && attempt < MAX_ATTEMPTS) {
                shedRetries.increment();
                sleep(Long.parseLong(retryAfter) * 1000);
                continue;
            }
            answered.increment();
            finalStatuses.computeIfAbsent(response.statusCode(), s -> new LongAdder()).increment();
            judge(r, response);
            return;
        }
        unanswered.increment();
        note("no answer after " + MAX_ATTEMPTS + " attempts: " + r.name());
    }

    private void judge(Request r, HttpResponse<String> response) {
        int status = response.statusCode();
        int label = -1;
        if (status == 200) {
            try {
                JsonNode body = Json.mapper().readTree(response.body());
                label = body.path("predictions").path(0).path("label").asInt(-1);
                versions.computeIfAbsent(body.path("model_version").asText("?"), v -> new LongAdder()).increment();
            } catch (IOException e) {
                note(r.name() + ": a 200 that is not JSON");
            }
        }
        String verdict;
        if (r.hostile() != null) {
            verdict = HostileInputs.verdict(r.hostile(), status, response.body(), null, false, label);
        } else if (status != 200) {
            verdict = "status " + status + ": " + response.body();
        } else {
            verdict = label == r.label() ? "" : "predicted " + label + ", the digit is " + r.label();
        }
        if (!verdict.isEmpty()) {
            wrong.increment();
            note(r.name() + ": " + verdict);
        }
    }

    private void note(String problem) {
        if (problems.size() < 50) {
            problems.add(problem);
        }
    }

    private void write(Path out, double elapsed, int concurrency, int maxSizeClients, int hostileClients,
            List<long[]> rss, List<double[]> load) throws IOException {
        Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("seconds", Math.round(elapsed));
        result.put("concurrency", concurrency);
        result.put("clients", Map.of("valid_digits", concurrency - maxSizeClients - hostileClients,
                "hostile", hostileClients, "maximum_size", maxSizeClients));
        result.put("sent", sent.sum());
        result.put("answered", answered.sum());
        result.put("unanswered", unanswered.sum());
        result.put("requests_per_second", Math.round(answered.sum() / elapsed));
        result.put("retried_after_503", shedRetries.sum());
        result.put("retried_after_transport_error", transportRetries.sum());
        result.put("transport_errors_on_valid_digits", validTransportErrors.sum());
        Map<String, Long> statuses = new TreeMap<>();
        finalStatuses.forEach((s, n) -> statuses.put(Integer.toString(s), n.sum()));
        result.put("final_statuses", statuses);
        result.put("final_5xx", finalStatuses.entrySet().stream().filter(e -> e.getKey() >= 500)
                .mapToLong(e -> e.getValue().sum()).sum());
        result.put("wrong_answers", wrong.sum());
        Map<String, Long> seen = new TreeMap<>();
        versions.forEach((v, n) -> seen.put(v, n.sum()));
        result.put("model_versions_answering", seen);
        List<List<Long>> samples = new ArrayList<>();
        for (long[] s : rss) {
            samples.add(List.of(s[0], s[1]));
        }
        result.put("rss_mib_every_5s", samples);
        List<List<Number>> loads = new ArrayList<>();
        for (double[] l : load) {
            loads.add(List.of((long) l[0], l[1]));
        }
        result.put("load_average_1m_every_5s", loads);
        result.put("problems", List.copyOf(problems));
        Files.writeString(out, Json.pretty(result));
        System.out.printf(Locale.ROOT, "soak: %d s at c=%d: sent %d, answered %d, unanswered %d, final 5xx %d,"
                + " wrong %d, 503 retries %d, transport retries %d, %d req/s; statuses %s; versions %s%n",
                Math.round(elapsed), concurrency, sent.sum(), answered.sum(), unanswered.sum(), result.get("final_5xx"),
                wrong.sum(), shedRetries.sum(), transportRetries.sum(), result.get("requests_per_second"), statuses,
                seen);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
