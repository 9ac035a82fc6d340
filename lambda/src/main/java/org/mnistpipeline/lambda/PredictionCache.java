package org.mnistpipeline.lambda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;

/**
 * Predictions by what the model actually sees: the key is the SHA-256 of the preprocessed 28×28
 * tensor plus the model version, so a PNG and the JSON tensor of the same digit share an entry,
 * and a new model never answers from an old one's entries.
 *
 * <p>Tier 1 of the caching: an LRU bounded by entry count, and a map of in-flight computations so
 * that identical requests arriving together run the model once. (Tier 2 is HTTP: the handler
 * sends the key as {@code ETag} and serves {@code GET /predictions/{key}} from here, for a CDN.)
 * Thread-safe.
 */
final class PredictionCache {
    private static final HexFormat HEX = HexFormat.of();

    private final int maxEntries;
    private final Map<String, Prediction> lru;
    private final ConcurrentHashMap<String, CompletableFuture<Prediction>> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong coalesced = new AtomicLong();
    private String version;

    /** {@code maxEntries} 0 keeps nothing (every request computes) but still coalesces identical ones. */
    PredictionCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must be 0 or more, got " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.lru = new LinkedHashMap<>(Math.min(maxEntries, 1024) * 4 / 3 + 1, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Prediction> eldest) {
                return size() > PredictionCache.this.maxEntries;
            }
        };
    }

    /** Predictions for {@code images} in order, computing only those neither cached nor in flight. */
    record Answer(List<Prediction> predictions, List<String> keys, int hits) {
        /** One key for the whole answer: the image's own for one image, a digest of all keys otherwise. */
        String etag() {
            if (keys.size() == 1) {
                return keys.getFirst();
            }
            MessageDigest sha = sha256();
            keys.forEach(k -> sha.update(k.getBytes(StandardCharsets.US_ASCII)));
            return HEX.formatHex(sha.digest());
        }
    }

    Answer predict(List<float[]> images, Predictor predictor) {
        String modelVersion = predictor.modelVersion();
        forgetOtherVersions(modelVersion);
        int n = images.size();
        Prediction[] out = new Prediction[n];
        List<String> keys = new ArrayList<>(n);
        List<Integer> mine = new ArrayList<>();
        List<CompletableFuture<Prediction>> mineFutures = new ArrayList<>();
        Map<Integer, CompletableFuture<Prediction>> theirs = new LinkedHashMap<>();
        int hitCount = 0;
        for (int i = 0; i < n; i++) {
            String key = key(images.get(i), modelVersion);
            keys.add(key);
            Prediction cached = get(key);
            if (cached != null) {
                out[i] = cached;
                hitCount++;
                continue;
            }
            CompletableFuture<Prediction> future = new CompletableFuture<>();
            CompletableFuture<Prediction> running = inFlight.putIfAbsent(key, future);
            if (running != null) {
                theirs.put(i, running); // someone (maybe this request, for a repeated image) computes it
                continue;
            }
            // It may have been finished and stored between our look-up and claiming it.
            Prediction late = get(key);
            if (late != null) {
                inFlight.remove(key, future);
                future.complete(late);
                out[i] = late;
                hitCount++;
                continue;
            }
            misses.incrementAndGet();
            mine.add(i);
            mineFutures.add(future);
        }
        if (!mine.isEmpty()) {
            compute(images, predictor, keys, mine, mineFutures, out);
        }
        for (Map.Entry<Integer, CompletableFuture<Prediction>> e : theirs.entrySet()) {
            out[e.getKey()] = join(e.getValue());
            coalesced.incrementAndGet();
            hitCount++;
        }
        hits.addAndGet(hitCount - theirs.size());
        return new Answer(List.of(out), List.copyOf(keys), hitCount);
    }

    private void compute(List<float[]> images, Predictor predictor, List<String> keys, List<Integer> mine,
            List<CompletableFuture<Prediction>> futures, Prediction[] out) {
        List<float[]> batch = new ArrayList<>(mine.size());
        mine.forEach(i -> batch.add(images.get(i)));
        try {
            List<Prediction> predictions = predictor.predictBatch(batch); // one forward pass for all misses
            for (int j = 0; j < mine.size(); j++) {
                int i = mine.get(j);
                out[i] = predictions.get(j);
                put(keys.get(i), predictions.get(j));
                futures.get(j).complete(predictions.get(j));
            }
        } catch (RuntimeException | Error e) {
            futures.forEach(f -> f.completeExceptionally(e)); // waiters fail with us rather than hang
            throw e;
        } finally {
            for (int j = 0; j < mine.size(); j++) {
                inFlight.remove(keys.get(mine.get(j)), futures.get(j));
            }
        }
    }

    private static Prediction join(CompletableFuture<Prediction> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** The cached prediction for {@code key}, without counting a hit or miss (the CDN route). */
    Optional<Prediction> peek(String key) {
        synchronized (lru) {
            return Optional.ofNullable(lru.get(key));
        }
    }

    private Prediction get(String key) {
        synchronized (lru) {
            return lru.get(key);
        }
    }

    private void put(String key, Prediction prediction) {
        if (maxEntries == 0) {
            return;
        }
        synchronized (lru) {
            lru.put(key, prediction);
        }
    }

    /** Entries of an older model can never be hit again (their keys hold its version): free them. */
    private void forgetOtherVersions(String modelVersion) {
        synchronized (lru) {
            if (!modelVersion.equals(version)) {
                lru.clear();
                version = modelVersion;
            }
        }
    }

    /** Drops every entry and zeroes the counters (after a SnapStart restore: a new environment). */
    void clear() {
        synchronized (lru) {
            lru.clear();
            version = null;
        }
        hits.set(0);
        misses.set(0);
        coalesced.set(0);
    }

    int size() {
        synchronized (lru) {
            return lru.size();
        }
    }

    /** Images answered from the LRU. */
    long hits() {
        return hits.get();
    }

    /** Images the model had to run for. */
    long misses() {
        return misses.get();
    }

    /** Images that waited for an identical request's computation instead of running the model. */
    long coalesced() {
        return coalesced.get();
    }

    int inFlight() {
        return inFlight.size();
    }

    /**
     * The cache key: SHA-256 over the model version, a zero byte and the tensor's floats
     * (IEEE 754, little-endian; −0 counted as 0), as 64 lower-case hex digits.
     */
    static String key(float[] image, String modelVersion) {
        MessageDigest sha = sha256();
        sha.update(modelVersion.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        ByteBuffer bytes = ByteBuffer.allocate(image.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : image) {
            bytes.putFloat(v == 0f ? 0f : v);
        }
        sha.update(bytes.array());
        return HEX.formatHex(sha.digest());
    }

    static boolean isKey(String text) {
        return text.length() == 64 && text.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e); // every Java SE has it
        }
    }
}
