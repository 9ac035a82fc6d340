package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.io.Json;

/**
 * The prediction cache on a realistic stream, for {@code bench/lambda-cache.sh}: REQUESTS function
 * URL (payload 2.0) events drawn Zipf(s) over the 10,000 MNIST test images (rank → image by a
 * seeded shuffle), each digit sent as a PNG or as a JSON tensor at random, replayed in-process
 * through the real {@link PredictionHandler} once per cache size. Two kinds of JSON client: one that
 * sends the tensor the PNG preprocesses to ({@code preprocessed}: the same key as the PNG) and one
 * that sends the raw MNIST bytes / 255 ({@code raw}: the PNG path re-crops and re-centres, so a
 * different tensor and key); the difference is what key stability across encodings is worth. Reports tier-1 hit ratio, per-request latency (the handler's whole work: event
 * parsing, decoding, key, model or cache, response, EMF line) and a Lambda cost model; plus the
 * CDN tier, simulated on the same stream under stated assumptions.
 *
 * <pre>java -cp &lt;lambda test classpath&gt; org.mnistpipeline.lambda.LambdaCacheReplay OUT.json [REQUESTS] [ZIPF_S] [SEED] [MODEL_DIR] [ROUNDS]</pre>
 */
final class LambdaCacheReplay {
    static final int IMAGES = 10_000;
    /** us-east-1, x86, published price (checked 2026-11-28): per GB-second and per request. */
    static final double PRICE_GB_SECOND = 0.0000166667;
    static final double PRICE_PER_MILLION_REQUESTS = 0.20;
    /** Lambda gives a function one full vCPU at 1,769 MB and a proportional share below. */
    static final double FULL_VCPU_MB = 1769;
    static final int[] MEMORY_MB = {512, 1024, 1769};
    static final int[] CACHE_SIZES = {0, 100, 1_000, 10_000};
    static final int[] RAW_CACHE_SIZES = {1_000, 10_000};

    private LambdaCacheReplay() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        double s = args.length > 2 ? Double.parseDouble(args[2]) : 1.1;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 42;
        Path modelDir = args.length > 4 ? Path.of(args[4]) : Harness.modelDir();
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 3;

        // The stream: image and encoding of each request.
        int[] image = new int[requests];
        boolean[] png = new boolean[requests];
        drawStream(requests, s, seed, image, png);

        // Every image's two events, built once (the replay times the handler, not the client).
        byte[][] pngEvents = new byte[IMAGES][];
        byte[][] jsonEvents = new byte[IMAGES][];
        byte[][] rawJsonEvents = new byte[IMAGES][];
        int keyMatches = 0;
        ImagePreprocessor preprocessor = new ImagePreprocessor();
        for (int i = 0; i < IMAGES; i++) {
            byte[] pngBytes = png(i);
            float[] preprocessed = preprocessor.preprocess(pngBytes);
            float[] raw = ImagePreprocessor.fromMnistBytes(MnistTestSet.get().pixels(), i * 784);
            pngEvents[i] = Harness.v2("POST", "/", "{\"content-type\":\"image/png\"}",
                    Base64.getEncoder().encodeToString(pngBytes), true);
            jsonEvents[i] = jsonEvent(preprocessed);
            rawJsonEvents[i] = jsonEvent(raw);
            if (PredictionCache.key(preprocessed, "v").equals(PredictionCache.key(raw, "v"))) {
                keyMatches++;
            }
        }

        ObjectNode result = Json.mapper().createObjectNode();
        result.put("date", Instant.now().toString());
        result.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        result.put("cpus", Runtime.getRuntime().availableProcessors());
        result.put("model_dir", modelDir.toString());
        ObjectNode stream = result.putObject("stream");
        stream.put("requests", requests).put("images", IMAGES).put("zipf_s", s).put("seed", seed);
        stream.put("distinct_images", Arrays.stream(image).distinct().count());
        stream.put("png_fraction", count(png) / (double) requests);
        stream.put("top_10_share", topShare(image, 10)).put("top_100_share", topShare(image, 100))
                .put("top_1000_share", topShare(image, 1000));
        stream.put("raw_json_same_key_as_png_fraction", keyMatches / (double) IMAGES);
        stream.put("what", "function URL v2 events through PredictionHandler.handle, in-process, one thread;"
                + " latency = the handler's whole work per event");

        // Warm the JIT on a throwaway handler (cache off) over a different draw.
        int[] warmImage = new int[20_000];
        boolean[] warmPng = new boolean[20_000];
        drawStream(warmImage.length, s, seed + 1, warmImage, warmPng);
        replay(handler(modelDir, 0), warmImage, warmPng, pngEvents, jsonEvents, new boolean[warmImage.length]);

        // Every configuration once per round, rounds interleaved, so bursts of load from elsewhere on
        // the machine spread over all of them; latencies pooled over the rounds.
        record Config(String json, int entries) {}
        java.util.List<Config> configs = new java.util.ArrayList<>();
        for (int entries : CACHE_SIZES) {
            configs.add(new Config("preprocessed", entries));
        }
        for (int entries : RAW_CACHE_SIZES) {
            configs.add(new Config("raw", entries));
        }
        long[][] pooled = new long[configs.size()][requests * rounds];
        boolean[][] hit = new boolean[configs.size()][requests * rounds];
        double[][] roundMeans = new double[configs.size()][rounds];
        long[] hitsOf = new long[configs.size()];
        for (int round = 0; round < rounds; round++) {
            for (int c = 0; c < configs.size(); c++) {
                Config config = configs.get(c);
                PredictionHandler h = handler(modelDir, config.entries());
                boolean[] hits = new boolean[requests];
                long[] nanos = replay(h, image, png, pngEvents,
                        config.json().equals("raw") ? rawJsonEvents : jsonEvents, hits);
                System.arraycopy(nanos, 0, pooled[c], round * requests, requests);
                System.arraycopy(hits, 0, hit[c], round * requests, requests);
                roundMeans[c][round] = Arrays.stream(nanos).average().orElse(0) / 1e6;
                hitsOf[c] = h.environment().cache.hits();
                System.err.printf(Locale.ROOT, "round %d, %s JSON, cache %5d: hit ratio %.3f, mean %.3f ms%n", round + 1,
                        config.json(), config.entries(), hitsOf[c] / (double) requests, roundMeans[c][round]);
            }
        }
        ArrayNode runs = result.putArray("runs");
        long[] offNanos = null;
        for (int c = 0; c < configs.size(); c++) {
            Config config = configs.get(c);
            long[] nanos = pooled[c];
            if (config.entries() == 0) {
                offNanos = nanos;
            }
            ObjectNode run = runs.addObject();
            run.put("json_client", config.json());
            run.put("cache_entries", config.entries());
            run.put("hits", hitsOf[c]).put("misses", requests - hitsOf[c]);
            run.put("hit_ratio", hitsOf[c] / (double) requests);
            run.put("rounds", rounds);
            latency(run, nanos);
            ArrayNode means = run.putArray("mean_ms_per_round");
            Arrays.stream(roundMeans[c]).forEach(means::add);
            for (boolean wanted : new boolean[] {true, false}) {
                boolean[] hitOfRun = hit[c];
                long[] subset = java.util.stream.IntStream.range(0, nanos.length).filter(k -> hitOfRun[k] == wanted)
                        .mapToLong(k -> nanos[k]).toArray();
                if (subset.length > 0) {
                    latency(run.putObject(wanted ? "hits_only" : "misses_only"), subset);
                }
            }
            ObjectNode cost = run.putObject("cost_per_million_usd");
            for (int mb : MEMORY_MB) {
                cost.set(mb + "MB", costModel(nanos, mb));
            }
            System.err.printf(Locale.ROOT, "%s JSON, cache %5d: hit ratio %.3f, p50 %.3f ms, p99 %.3f ms, mean %.3f ms%n",
                    config.json(), config.entries(), run.get("hit_ratio").asDouble(), run.get("p50_ms").asDouble(),
                    run.get("p99_ms").asDouble(), run.get("mean_ms").asDouble());
        }
        ObjectNode cdn = result.putObject("cdn");
        cdn.set("preprocessed_json_client", cdnModel(image, png, true, offNanos));
        cdn.set("raw_json_client", cdnModel(image, png, false, offNanos));
        ObjectNode environments = result.putObject("environments");
        environments.set("preprocessed_json_client", environmentsModel(image, png, true, new int[] {1, 4, 16}, 10_000));
        environments.set("raw_json_client", environmentsModel(image, png, false, new int[] {1, 4, 16}, 10_000));
        ObjectNode prices = result.putObject("prices");
        prices.put("gb_second_usd", PRICE_GB_SECOND).put("per_million_requests_usd", PRICE_PER_MILLION_REQUESTS)
                .put("region", "us-east-1").put("architecture", "x86_64").put("as_of", "2026-11-28")
                .put("billing_granularity_ms", 1).put("full_vcpu_at_mb", FULL_VCPU_MB);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Json.mapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
        System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }

    private static byte[] jsonEvent(float[] tensor) {
        return Harness.v2("POST", "/", "{\"content-type\":\"application/json\"}",
                "{\\\"instances\\\": [[" + S3BatchScoringTest.join(tensor) + "]]}", false);
    }

    /** The cache key of request {@code r}: per image when PNG and JSON share keys, else per image and encoding. */
    private static long key(int[] image, boolean[] png, int r, boolean sharedKeys) {
        return sharedKeys ? image[r] : image[r] * 2L + (png[r] ? 1 : 0);
    }

    static PredictionHandler handler(Path modelDir, int entries) {
        LambdaConfig config = LambdaConfig.defaults(modelDir).withCacheEntries(entries);
        return new PredictionHandler(config, new LocalModelLoader(modelDir),
                loaded -> OnnxPredictor.fromBytes(loaded.onnx(), loaded.version(), PredictorOptions.defaults()),
                BatchScorer.unavailable(), new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC());
    }

    private static long[] replay(PredictionHandler h, int[] image, boolean[] png, byte[][] pngEvents,
            byte[][] jsonEvents, boolean[] hit) {
        long[] nanos = new long[image.length];
        for (int r = 0; r < image.length; r++) {
            byte[] event = png[r] ? pngEvents[image[r]] : jsonEvents[image[r]];
            long before = h.environment().cache.hits();
            long t0 = System.nanoTime();
            byte[] response = h.handle(event, "r" + r);
            nanos[r] = System.nanoTime() - t0;
            hit[r] = h.environment().cache.hits() > before;
            if (!new String(response, StandardCharsets.UTF_8).startsWith("{\"statusCode\":200,")) {
                throw new IllegalStateException("request " + r + " failed: " + new String(response, StandardCharsets.UTF_8));
            }
        }
        return nanos;
    }

    /** Zipf(s) ranks 1..IMAGES by inverse CDF, mapped to images by a seeded shuffle; PNG or JSON at even odds. */
    static void drawStream(int n, double s, long seed, int[] image, boolean[] png) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] cdf = new double[IMAGES];
        double total = 0;
        for (int k = 1; k <= IMAGES; k++) {
            total += 1 / Math.pow(k, s);
            cdf[k - 1] = total;
        }
        int[] byRank = new int[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            byRank[i] = i;
        }
        for (int i = IMAGES - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = byRank[i];
            byRank[i] = byRank[j];
            byRank[j] = t;
        }
        for (int r = 0; r < n; r++) {
            double u = random.nextDouble() * total;
            int rank = Arrays.binarySearch(cdf, u);
            rank = rank >= 0 ? rank : -rank - 1;
            image[r] = byRank[Math.min(rank, IMAGES - 1)];
            png[r] = random.nextBoolean();
        }
    }

    private static void latency(ObjectNode run, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        run.put("p50_ms", sorted[sorted.length / 2] / 1e6);
        run.put("p99_ms", sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6);
        run.put("max_ms", sorted[sorted.length - 1] / 1e6);
        run.put("mean_ms", Arrays.stream(nanos).average().orElse(0) / 1e6);
    }

    /**
     * Cost per million requests at {@code mb}: each request billed at its duration rounded up to
     * the next 1 ms, (a) as measured here and (b) scaled by Lambda's CPU share below one vCPU
     * (1769 / mb: the handler runs on one thread), plus the per-request charge.
     */
    static ObjectNode costModel(long[] nanos, int mb) {
        ObjectNode node = Json.mapper().createObjectNode();
        double scale = Math.max(1, FULL_VCPU_MB / mb);
        double gb = mb / 1024.0;
        for (boolean scaled : new boolean[] {false, true}) {
            double billedMs = 0;
            double rawMs = 0;
            for (long n : nanos) {
                double ms = n / 1e6 * (scaled ? scale : 1);
                rawMs += ms;
                billedMs += Math.max(1, Math.ceil(ms));
            }
            double meanBilled = billedMs / nanos.length;
            double compute = 1e6 * meanBilled / 1000 * gb * PRICE_GB_SECOND;
            ObjectNode v = node.putObject(scaled ? "cpu_scaled" : "as_measured");
            v.put("mean_duration_ms", rawMs / nanos.length).put("mean_billed_ms", meanBilled)
                    .put("gb_seconds", 1e6 * meanBilled / 1000 * gb).put("compute_usd", compute)
                    .put("requests_usd", PRICE_PER_MILLION_REQUESTS)
                    .put("total_usd", compute + PRICE_PER_MILLION_REQUESTS);
            if (scaled) {
                v.put("cpu_scale", scale);
            }
        }
        return node;
    }

    /**
     * Tier 2: how many requests a CDN in front of {@code GET /predictions/{key}} could answer.
     * Assumptions: (A) the client keeps the key (the ETag / Content-Location) of each body it has
     * sent and sends a repeat of the same body as that GET; (B) the client computes the key itself
     * (same preprocessing and model version), so a repeat of the key in either encoding is a GET.
     * The first sighting of a key is a POST; the CDN is one cache whose TTL outlasts the stream
     * (max-age 86,400 s), and its first GET per key goes to the function. CDN prices are not
     * modelled; the function's cost is bounded by its share of requests at the cache-off cost.
     */
    static ObjectNode cdnModel(int[] image, boolean[] png, boolean sharedKeys, long[] offNanos) {
        ObjectNode node = Json.mapper().createObjectNode();
        for (boolean computesKey : new boolean[] {false, true}) {
            Set<Long> clientKnows = new HashSet<>();
            Set<Long> cdnHas = new HashSet<>();
            long posts = 0;
            long originGets = 0;
            long cdnHits = 0;
            for (int r = 0; r < image.length; r++) {
                long key = key(image, png, r, sharedKeys);
                long body = computesKey ? key : image[r] * 2L + (png[r] ? 1 : 0);
                if (clientKnows.add(body)) {
                    posts++;
                } else if (cdnHas.add(key)) {
                    originGets++;
                } else {
                    cdnHits++;
                }
            }
            double atFunction = (posts + originGets) / (double) image.length;
            ObjectNode v = node.putObject(computesKey ? "B_client_computes_key" : "A_client_remembers_keys_of_bodies_sent");
            v.put("cdn_fraction", cdnHits / (double) image.length).put("function_fraction", atFunction)
                    .put("function_posts", posts).put("function_gets", originGets).put("cdn_hits", cdnHits);
            if (offNanos != null) {
                ObjectNode cost = v.putObject("function_cost_per_million_client_requests_usd_at_most");
                for (int mb : MEMORY_MB) {
                    cost.put(mb + "MB", atFunction * costModel(offNanos, mb).get("cpu_scaled").get("total_usd").asDouble());
                }
            }
        }
        return node;
    }

    /**
     * Tier 1 when the stream is spread over several warm execution environments (concurrency above
     * one), each with its own LRU of {@code entries}, requests assigned at random (a simulation on
     * keys, no model runs).
     */
    static ObjectNode environmentsModel(int[] image, boolean[] png, boolean sharedKeys, int[] environments,
            int entries) {
        ObjectNode node = Json.mapper().createObjectNode();
        for (int e : environments) {
            SplittableRandom random = new SplittableRandom(7);
            @SuppressWarnings("unchecked")
            Map<Long, Boolean>[] lru = new Map[e];
            for (int i = 0; i < e; i++) {
                lru[i] = new LinkedHashMap<>(16, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                        return size() > entries;
                    }
                };
            }
            long hits = 0;
            for (int r = 0; r < image.length; r++) {
                Map<Long, Boolean> cache = lru[random.nextInt(e)];
                long key = key(image, png, r, sharedKeys);
                if (cache.get(key) != null) {
                    hits++;
                } else {
                    cache.put(key, Boolean.TRUE);
                }
            }
            node.put(e + "_environments_hit_ratio", hits / (double) image.length);
        }
        node.put("cache_entries_each", entries);
        return node;
    }

    private static long count(boolean[] values) {
        long n = 0;
        for (boolean v : values) {
            n += v ? 1 : 0;
        }
        return n;
    }

    private static double topShare(int[] image, int top) {
        Map<Integer, Integer> counts = new LinkedHashMap<>();
        for (int i : image) {
            counts.merge(i, 1, Integer::sum);
        }
        return counts.values().stream().sorted((a, b) -> b - a).limit(top).mapToInt(Integer::intValue).sum()
                / (double) image.length;
    }

    /** MNIST test image {@code index} as the 28×28 grey PNG a client would upload. */
    static byte[] png(int index) throws java.io.IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
                java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, 28, 28,
                Arrays.copyOfRange(MnistTestSet.get().pixels(), index * 784, index * 784 + 784));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", bytes);
        return bytes.toByteArray();
    }
}
