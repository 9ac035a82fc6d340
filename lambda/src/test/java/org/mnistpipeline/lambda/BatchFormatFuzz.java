package org.mnistpipeline.lambda;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.inference.fuzz.Fuzzing;
import org.mnistpipeline.inference.hostile.HostileInputs;

/**
 * Jazzer fuzz target: an S3 object through {@link BatchFormat#read}, as batch scoring streams it.
 * The first byte picks the format (CSV, JSON lines, {@code .npy}, IDX), the second whether it is
 * gunzipped on the way, as a {@code .gz} key is. Expected: records scored or written as error
 * lines, an object refused whole ({@link RequestException}), or broken gzip (what the scorer
 * answers 400 for). Anything else is a finding, as is an image that is not 784 values in [0, 1].
 */
public final class BatchFormatFuzz {
    private BatchFormatFuzz() {}

    public static void fuzzerTestOneInput(byte[] data) throws IOException {
        if (data.length < 2) {
            return;
        }
        BatchFormat format = BatchFormat.values()[(data[0] & 0xff) % BatchFormat.values().length];
        boolean gzipped = (data[1] & 1) == 1;
        InputStream object = new ByteArrayInputStream(data, 2, data.length - 2);
        // The scorer's own sink and output file; parts too large to ever upload, so no store is touched.
        S3BatchScorer scorer = new S3BatchScorer(null, 8, Path.of(System.getProperty("java.io.tmpdir")), Long.MAX_VALUE);
        try (S3BatchScorer.Output output = scorer.new Output("fuzz", "fuzz.predictions.jsonl", null)) {
            S3BatchScorer.Sink sink = scorer.new Sink(new CheckingPredictor(), output, null, BatchScorer.Deadline.NONE);
            format.read(gzipped ? new GZIPInputStream(object, 1 << 16) : object, sink);
            sink.finish();
        } catch (RequestException expected) {
            Fuzzing.checkMessage(expected);
        } catch (ZipException | EOFException expected) {
            if (!gzipped) {
                throw new AssertionError("a gzip error from an object read without gzip", expected);
            }
        }
    }

    /** Checks what the format handed over and answers label 0 for each image. */
    private static final class CheckingPredictor implements Predictor {
        @Override
        public Prediction predict(float[] image) {
            return predictBatch(List.of(image)).getFirst();
        }

        @Override
        public List<Prediction> predictBatch(List<float[]> images) {
            List<Prediction> out = new ArrayList<>();
            for (float[] image : images) {
                if (image.length != 784) {
                    throw new AssertionError("an image of " + image.length + " values");
                }
                for (float v : image) {
                    if (!(v >= 0 && v <= 1)) {
                        throw new AssertionError("value " + v + " outside [0, 1]");
                    }
                }
                out.add(new Prediction(0, 1f, new float[10], "fuzz", 0));
            }
            return out;
        }

        @Override
        public String modelVersion() {
            return "fuzz";
        }

        @Override
        public int inputSize() {
            return 784;
        }

        @Override
        public void close() {}
    }

    /** A small object of each format, plain and gzipped, with the two selector bytes in front. */
    public static Map<String, byte[]> seeds() {
        String zeros = String.join(",", java.util.Collections.nCopies(784, "0"));
        Map<String, byte[]> objects = new LinkedHashMap<>();
        objects.put("csv", (zeros + "\n\n" + zeros.replace("0", "255") + "\nx,y\n").getBytes(StandardCharsets.US_ASCII));
        objects.put("jsonl", ("[" + zeros + "]\n{\"instances\": [[" + zeros + "]]}\n[1,2]\n")
                .getBytes(StandardCharsets.US_ASCII));
        objects.put("npy", HostileInputs.npyFile("|u1", "(3, 784)", 3 * 784));
        objects.put("idx", Idx.encode(new byte[3 * 784], 3, 28, 28));
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        int selector = 0;
        for (Map.Entry<String, byte[]> o : objects.entrySet()) {
            seeds.put(o.getKey(), prefixed(selector, 0, o.getValue()));
            seeds.put(o.getKey() + ".gz", prefixed(selector, 1, gzip(o.getValue())));
            selector++;
        }
        return seeds;
    }

    private static byte[] prefixed(int format, int gzip, byte[] object) {
        byte[] out = new byte[object.length + 2];
        out[0] = (byte) format;
        out[1] = (byte) gzip;
        System.arraycopy(object, 0, out, 2, object.length);
        return out;
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
