package org.mnistpipeline.lambda;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictionEncoder;
import org.mnistpipeline.inference.Predictor;

/**
 * Batch scoring of S3 objects: reads each object as a stream, predicts {@link #batchSize} images
 * per model call, writes one JSON line per input record to a temporary file and uploads it next to
 * the input as {@code <key>}{@value #OUTPUT_SUFFIX}. Memory stays bounded by one batch and one
 * line whatever the object's size; the output's size is bounded by {@code /tmp} (about 250 bytes
 * per image, so the default 512 MB of ephemeral storage holds two million predictions).
 *
 * <p>Output lines, in input order: {@code {"index":i,"label":7,"confidence":0.99,"probabilities":[...],
 * "model_version":"v3"}}, or {@code {"index":i,"error":"..."}} for a record that could not be read.
 * {@code i} is the 0-based line number (text formats; blank lines are skipped and answer nothing) or
 * image number (IDX). A bad record never stops the others; an object that is not a supported format
 * at all is refused as a whole (415, or 400 for a broken IDX header) and nothing is written for it.
 *
 * <p>Keys ending in {@value #OUTPUT_SUFFIX} are never scored: the upload of an output fires the
 * same bucket notification, and scoring it would loop. Formats are listed in {@link BatchFormat}.
 */
public final class S3BatchScorer implements BatchScorer {
    public static final String OUTPUT_SUFFIX = ".predictions.jsonl";
    public static final String OUTPUT_CONTENT_TYPE = "application/x-ndjson";
    public static final int DEFAULT_BATCH_SIZE = 256;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final ObjectStore store;
    private final int batchSize;
    private final Path tmpDir;

    public S3BatchScorer(ObjectStore store, int batchSize, Path tmpDir) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("BATCH_SIZE must be positive, got " + batchSize);
        }
        this.store = store;
        this.batchSize = batchSize;
        this.tmpDir = tmpDir;
    }

    /**
     * The scorer Lambda uses, built on the first S3 event rather than at init, so a function that
     * only answers HTTP never loads the SDK. {@code BATCH_SIZE} (default {@value #DEFAULT_BATCH_SIZE})
     * and the variables of {@link S3ObjectStore#fromEnvironment}.
     */
    public static BatchScorer lazyFromEnvironment(Map<String, String> env) {
        Supplier<BatchScorer> build = () -> {
            String size = env.getOrDefault("BATCH_SIZE", "");
            int batch;
            try {
                batch = size.isBlank() ? DEFAULT_BATCH_SIZE : Integer.parseInt(size.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("BATCH_SIZE must be a whole number, got '" + size + "'");
            }
            return new S3BatchScorer(S3ObjectStore.fromEnvironment(env), batch,
                    Path.of(System.getProperty("java.io.tmpdir")));
        };
        return new BatchScorer() {
            private BatchScorer scorer;

            @Override
            public synchronized Report score(List<S3Object> objects, Predictor predictor) {
                if (scorer == null) {
                    scorer = build.get();
                }
                return scorer.score(objects, predictor);
            }
        };
    }

    /** Whether {@code key} is an output of this scorer, which must never be scored again. */
    public static boolean isOutput(String key) {
        return key.endsWith(OUTPUT_SUFFIX);
    }

    @Override
    public Report score(List<S3Object> objects, Predictor predictor) {
        List<ObjectResult> results = new ArrayList<>();
        for (S3Object object : objects) {
            results.add(scoreOne(object, predictor));
        }
        return new Report(results);
    }

    private ObjectResult scoreOne(S3Object object, Predictor predictor) {
        String bucket = object.bucket();
        String key = object.key();
        if (isOutput(key)) {
            return new ObjectResult(bucket, key, null, 0, 0, 204, "skipped: keys ending in " + OUTPUT_SUFFIX
                    + " are this function's own output");
        }
        BatchFormat format;
        try {
            format = BatchFormat.of(key, store.head(bucket, key).contentType());
        } catch (RequestException e) {
            return refused(object, e);
        }
        String outputKey = key + OUTPUT_SUFFIX;
        Path tmp = null;
        try {
            tmp = Files.createTempFile(tmpDir, "predictions-", ".jsonl");
            Counts counts;
            try (InputStream raw = store.open(bucket, key);
                    InputStream in = BatchFormat.gzipped(key) ? new GZIPInputStream(raw, 1 << 16) : raw;
                    OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                    JsonGenerator out = JSON.createGenerator(file, JsonEncoding.UTF8)) {
                Sink sink = new Sink(predictor, out);
                format.read(in, sink);
                sink.flush();
                counts = new Counts(sink.images, sink.errors);
            } catch (RequestException e) {
                return refused(object, e);
            } catch (java.util.zip.ZipException | java.io.EOFException e) {
                // Only the gzip layer throws these; a network failure is another IOException (retried).
                return new ObjectResult(bucket, key, null, 0, 0, 400, "s3 object " + key
                        + " is named .gz but is not valid gzip (" + e.getMessage() + ")");
            }
            store.put(bucket, outputKey, tmp, OUTPUT_CONTENT_TYPE);
            return new ObjectResult(bucket, key, "s3://" + bucket + "/" + outputKey, counts.images, counts.errors,
                    200, null);
        } catch (IOException e) {
            throw new UncheckedIOException("scoring s3://" + bucket + "/" + key + " failed: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // /tmp is per environment; a leftover file is reclaimed with it
                }
            }
        }
    }

    /** The object as a whole refused: missing (404), not a format we read (415), broken (400). */
    private static ObjectResult refused(S3Object object, RequestException e) {
        return new ObjectResult(object.bucket(), object.key(), null, 0, 0, e.kind().httpStatus(), e.getMessage());
    }

    private record Counts(int images, int errors) {}

    /** A record read and not yet written: an image waiting for its batch, or an error. */
    private record Pending(long index, float[] image, String error) {}

    /**
     * Where a format's reader puts records: images wait for a full batch, then the batch's
     * records (images and errors alike) are written in input order.
     */
    final class Sink {
        private final Predictor predictor;
        private final JsonGenerator out;
        private final String version;
        private final List<Pending> pending = new ArrayList<>();
        private final List<float[]> batch = new ArrayList<>();
        int images;
        int errors;

        Sink(Predictor predictor, JsonGenerator out) {
            this.predictor = predictor;
            this.out = out;
            this.version = predictor.modelVersion();
            out.setRootValueSeparator(null); // lines end with '\n', written below
        }

        void image(long index, float[] pixels) throws IOException {
            pending.add(new Pending(index, pixels, null));
            batch.add(pixels);
            if (batch.size() >= batchSize) {
                flush();
            }
        }

        void error(long index, String message) throws IOException {
            pending.add(new Pending(index, null, message));
            if (pending.size() >= batchSize * 4) {
                flush(); // an object of nothing but errors must not pile up either
            }
        }

        void flush() throws IOException {
            List<Prediction> predictions = batch.isEmpty() ? List.of() : predictor.predictBatch(batch);
            int next = 0;
            for (Pending record : pending) {
                out.writeStartObject();
                out.writeNumberField("index", record.index());
                if (record.error() != null) {
                    out.writeStringField("error", record.error());
                    errors++;
                } else {
                    PredictionEncoder.writeFields(out, predictions.get(next++));
                    out.writeStringField("model_version", version);
                    images++;
                }
                out.writeEndObject();
                out.writeRaw('\n');
            }
            pending.clear();
            batch.clear();
        }
    }
}
