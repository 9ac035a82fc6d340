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
import org.mnistpipeline.io.Json;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictionEncoder;
import org.mnistpipeline.inference.Predictor;

/**
 * Batch scoring of S3 objects: reads each object as a stream, predicts {@link #batchSize} images
 * per model call, writes one JSON line per input record and uploads it next to the input as
 * {@code <key>}{@value #OUTPUT_SUFFIX}. Memory stays bounded by one batch and one line whatever the
 * object's size, and {@code /tmp} by one part: an output over {@link #partBytes} is uploaded in
 * parts as it grows (an S3 multipart upload).
 *
 * <p>Output lines, in input order: {@code {"index":i,"label":7,"confidence":0.99,"probabilities":[...],
 * "model_version":"v3"}}, or {@code {"index":i,"error":"..."}} for a record that could not be read.
 * {@code i} is the 0-based line number (text formats; blank lines are skipped and answer nothing) or
 * image number (IDX). A bad record never stops the others; an object that is not a supported format
 * at all is refused as a whole (415, or 400 for a broken IDX header) and nothing is written for it.
 *
 * <p><b>Time.</b> An invocation lasts at most 15 minutes. When its {@link BatchScorer.Deadline}
 * comes within {@link #STOP_MARGIN} of the end, the scorer stops after the current batch and
 * saves its progress as {@code <key>}{@value #PROGRESS_SUFFIX}: the multipart upload's id, the
 * parts uploaded so far, and the first record they do not cover. The object's result is then 503
 * (unfinished), the invocation fails and Lambda retries the event; the retry skips the records
 * already uploaded (read, not scored) and continues the same upload. Progress is used only for
 * the same object (ETag and size) and the same model version; otherwise the old upload is
 * abandoned and the object is scored from its start.
 *
 * <p>Keys ending in {@value #OUTPUT_SUFFIX} or {@value #PROGRESS_SUFFIX} are never scored: the
 * upload of an output fires the same bucket notification, and scoring it would loop. Formats are
 * listed in {@link BatchFormat}.
 */
public final class S3BatchScorer implements BatchScorer {
    public static final String OUTPUT_SUFFIX = ".predictions.jsonl";
    public static final String PROGRESS_SUFFIX = ".predictions.progress.json";
    public static final String OUTPUT_CONTENT_TYPE = "application/x-ndjson";
    public static final int DEFAULT_BATCH_SIZE = 256;
    /** S3's smallest part (all but the last): 5 MiB. */
    public static final long MIN_PART_BYTES = 5L << 20;
    /** Time kept back to upload a part and the progress record before the invocation ends. */
    public static final java.time.Duration STOP_MARGIN = java.time.Duration.ofSeconds(20);

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final ObjectStore store;
    private final int batchSize;
    private final Path tmpDir;
    private final long partBytes;

    public S3BatchScorer(ObjectStore store, int batchSize, Path tmpDir) {
        this(store, batchSize, tmpDir, 8L << 20);
    }

    /** {@code partBytes}: output uploaded in parts of about this size (at least {@link #MIN_PART_BYTES}). */
    public S3BatchScorer(ObjectStore store, int batchSize, Path tmpDir, long partBytes) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("BATCH_SIZE must be positive, got " + batchSize);
        }
        if (partBytes < MIN_PART_BYTES) {
            throw new IllegalArgumentException("parts must be at least 5 MiB (S3's rule), got " + partBytes);
        }
        this.store = store;
        this.batchSize = batchSize;
        this.tmpDir = tmpDir;
        this.partBytes = partBytes;
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
            public synchronized Report score(List<S3Object> objects, Predictor predictor, Deadline deadline) {
                if (scorer == null) {
                    scorer = build.get();
                }
                return scorer.score(objects, predictor, deadline);
            }
        };
    }

    /** Whether {@code key} is an output of this scorer, which must never be scored again. */
    public static boolean isOutput(String key) {
        return key.endsWith(OUTPUT_SUFFIX) || key.endsWith(PROGRESS_SUFFIX);
    }

    @Override
    public Report score(List<S3Object> objects, Predictor predictor, Deadline deadline) {
        List<ObjectResult> results = new ArrayList<>();
        boolean outOfTime = false;
        for (S3Object object : objects) {
            if (outOfTime) {
                results.add(new ObjectResult(object.bucket(), object.key(), null, 0, 0, 503,
                        "not started: the invocation ran out of time on an earlier object; the retry scores it"));
                continue;
            }
            ObjectResult result = scoreOne(object, predictor, deadline);
            outOfTime = result.status() == 503;
            results.add(result);
        }
        return new Report(results);
    }

    /** Where a saved run of one object stands (the {@value #PROGRESS_SUFFIX} object). */
    record Progress(int formatVersion, String sourceEtag, long sourceSize, String modelVersion, String uploadId,
            List<ObjectStore.Part> parts, long nextIndex, int images, int errors) {
        static final int FORMAT = 1;

        Progress {
            parts = List.copyOf(parts);
        }
    }

    private ObjectResult scoreOne(S3Object object, Predictor predictor, Deadline deadline) {
        String bucket = object.bucket();
        String key = object.key();
        if (isOutput(key)) {
            return new ObjectResult(bucket, key, null, 0, 0, 204, "skipped: keys ending in " + OUTPUT_SUFFIX
                    + " or " + PROGRESS_SUFFIX + " are this function's own output");
        }
        BatchFormat format;
        ObjectStore.Head head;
        try {
            head = store.head(bucket, key);
            format = BatchFormat.of(key, head.contentType());
        } catch (RequestException e) {
            return refused(object, e);
        }
        String outputKey = key + OUTPUT_SUFFIX;
        Progress resumed = resumable(bucket, key, outputKey, head, predictor.modelVersion());
        try (Output output = new Output(bucket, outputKey, resumed)) {
            Sink sink = new Sink(predictor, output, resumed, deadline);
            try (InputStream raw = store.open(bucket, key);
                    InputStream in = BatchFormat.gzipped(key) ? new GZIPInputStream(raw, 1 << 16) : raw) {
                format.read(in, sink);
                sink.finish();
            } catch (RequestException e) {
                output.abandon();
                return refused(object, e);
            } catch (OutOfTime stop) {
                Progress progress = output.progress(head, predictor.modelVersion());
                saveProgress(bucket, key, progress);
                return new ObjectResult(bucket, key, null, progress.images(), progress.errors(), 503, String.format(
                        java.util.Locale.ROOT, "stopped with %d s left; records before %d are uploaded (%d parts) and"
                                + " saved in s3://%s/%s%s; the retry resumes there", stop.remainingMillis / 1000,
                        progress.nextIndex(), progress.parts().size(), bucket, key, PROGRESS_SUFFIX));
            } catch (java.util.zip.ZipException | java.io.EOFException e) {
                // Only the gzip layer throws these; a network failure is another IOException (retried).
                output.abandon();
                return new ObjectResult(bucket, key, null, 0, 0, 400, "s3 object " + key
                        + " is named .gz but is not valid gzip (" + e.getMessage() + ")");
            }
            output.finish();
            if (resumed != null) {
                store.delete(bucket, key + PROGRESS_SUFFIX);
            }
            return new ObjectResult(bucket, key, "s3://" + bucket + "/" + outputKey, sink.images, sink.errors,
                    200, null);
        } catch (IOException e) {
            throw new UncheckedIOException("scoring s3://" + bucket + "/" + key + " failed: " + e.getMessage(), e);
        }
    }

    /** The saved progress of {@code key}, when there is one for this very object and model; else null. */
    private Progress resumable(String bucket, String key, String outputKey, ObjectStore.Head head, String model) {
        Progress saved;
        try (InputStream in = store.open(bucket, key + PROGRESS_SUFFIX)) {
            saved = Json.mapper().readValue(in, Progress.class);
        } catch (RequestException notFound) {
            return null;
        } catch (IOException e) {
            return null; // unreadable: start again, as without one
        }
        boolean same = saved.formatVersion() == Progress.FORMAT && java.util.Objects.equals(saved.sourceEtag(),
                head.etag()) && saved.sourceSize() == head.size() && model.equals(saved.modelVersion());
        if (!same) {
            // Another object under the same key, or another model: its parts must not be mixed in.
            if (saved.uploadId() != null) {
                store.abortUpload(bucket, outputKey, saved.uploadId());
            }
            store.delete(bucket, key + PROGRESS_SUFFIX);
            return null;
        }
        return saved;
    }

    private void saveProgress(String bucket, String key, Progress progress) throws IOException {
        Path file = Files.createTempFile(tmpDir, "progress-", ".json");
        try {
            Files.write(file, Json.compact(progress).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            store.put(bucket, key + PROGRESS_SUFFIX, file, "application/json");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Thrown out of a format's reader when the invocation must stop to save its progress. */
    static final class OutOfTime extends RuntimeException {
        final long remainingMillis;

        OutOfTime(long remainingMillis) {
            super(null, null, false, false);
            this.remainingMillis = remainingMillis;
        }
    }

    /**
     * The output of one object: lines go to a local part file; a part over {@link #partBytes}
     * is uploaded at a line boundary ({@link #maybeUpload}). Small outputs are one plain PUT.
     */
    final class Output implements AutoCloseable {
        private final String bucket;
        private final String key;
        private final Path file;
        private final List<ObjectStore.Part> parts = new ArrayList<>();
        private String uploadId;
        private OutputStream out;
        /** First record index not covered by the uploaded parts, and the counts they hold. */
        private long uploadedUpTo;
        private int uploadedImages;
        private int uploadedErrors;

        Output(String bucket, String key, Progress resumed) throws IOException {
            this.bucket = bucket;
            this.key = key;
            this.file = Files.createTempFile(tmpDir, "predictions-", ".jsonl");
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            if (resumed != null) {
                uploadId = resumed.uploadId();
                parts.addAll(resumed.parts());
                uploadedUpTo = resumed.nextIndex();
                uploadedImages = resumed.images();
                uploadedErrors = resumed.errors();
            }
        }

        /** Where lines are written: forwards to the current part file. */
        OutputStream stream() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }
            };
        }

        /** Uploads the part file when it has grown over a part's size; call it between lines only. */
        void maybeUpload(long nextIndex, int images, int errors) throws IOException {
            out.flush();
            if (Files.size(file) >= partBytes) {
                uploadPart();
                uploadedUpTo = nextIndex;
                uploadedImages = images;
                uploadedErrors = errors;
            }
        }

        private void uploadPart() throws IOException {
            out.close();
            if (uploadId == null) {
                uploadId = store.startUpload(bucket, key, OUTPUT_CONTENT_TYPE);
            }
            parts.add(store.uploadPart(bucket, key, uploadId, parts.size() + 1, file));
            out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16); // truncates
        }

        Progress progress(ObjectStore.Head head, String model) {
            return new Progress(Progress.FORMAT, head.etag(), head.size(), model, uploadId, parts, uploadedUpTo,
                    uploadedImages, uploadedErrors);
        }

        /** Uploads what is left: the last part of a multipart upload, or the whole output in one PUT. */
        void finish() throws IOException {
            out.close();
            if (uploadId == null) {
                store.put(bucket, key, file, OUTPUT_CONTENT_TYPE);
                return;
            }
            if (Files.size(file) > 0 || parts.isEmpty()) {
                parts.add(store.uploadPart(bucket, key, uploadId, parts.size() + 1, file));
            }
            store.completeUpload(bucket, key, uploadId, parts);
        }

        /** The object was refused: no output, and no upload left behind. */
        void abandon() {
            if (uploadId != null) {
                store.abortUpload(bucket, key, uploadId);
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
            Files.deleteIfExists(file); // /tmp is per environment; a leftover would be reclaimed with it
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
     * records (images and errors alike) are written in input order. Records below the resumed
     * run's index are already in uploaded parts and are dropped unscored.
     */
    final class Sink {
        private final Predictor predictor;
        private final Output output;
        private final JsonGenerator out;
        private final String version;
        private final Deadline deadline;
        private final long skipBelow;
        private final List<Pending> pending = new ArrayList<>();
        private final List<float[]> batch = new ArrayList<>();
        private long nextIndex;
        int images;
        int errors;

        Sink(Predictor predictor, Output output, Progress resumed, Deadline deadline) throws IOException {
            this.predictor = predictor;
            this.output = output;
            this.out = JSON.createGenerator(output.stream(), JsonEncoding.UTF8);
            this.version = predictor.modelVersion();
            this.deadline = deadline;
            this.skipBelow = resumed == null ? 0 : resumed.nextIndex();
            this.nextIndex = skipBelow;
            if (resumed != null) {
                images = resumed.images();
                errors = resumed.errors();
            }
            out.setRootValueSeparator(null); // lines end with '\n', written below
        }

        void image(long index, float[] pixels) throws IOException {
            if (index < skipBelow) {
                return;
            }
            pending.add(new Pending(index, pixels, null));
            batch.add(pixels);
            if (batch.size() >= batchSize) {
                flush();
                stopIfOutOfTime();
            }
        }

        void error(long index, String message) throws IOException {
            if (index < skipBelow) {
                return;
            }
            pending.add(new Pending(index, null, message));
            if (pending.size() >= batchSize * 4) {
                flush(); // an object of nothing but errors must not pile up either
                stopIfOutOfTime();
            }
        }

        /** The last records, once the object has been read to its end. */
        void finish() throws IOException {
            flush();
        }

        /** Between batches: stops the object with its progress saved when the invocation is about to end. */
        private void stopIfOutOfTime() {
            long left = deadline.remainingMillis();
            if (left < STOP_MARGIN.toMillis()) {
                throw new OutOfTime(left);
            }
        }

        private void flush() throws IOException {
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
                nextIndex = record.index() + 1;
            }
            pending.clear();
            batch.clear();
            out.flush();
            output.maybeUpload(nextIndex, images, errors);
        }
    }
}
