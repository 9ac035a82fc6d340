package org.mnistpipeline.pipeline.ingest;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.pipeline.ingest.Rejection.Kind;

/**
 * The rules a labelled record must pass to be stored, knowing nothing of where batches are kept:
 * a readable label 0-9, a decodable image with ink (IDX records: white ink on black), and no
 * exact or near duplicate in its own batch ({@link #validate}) or among the stored records it is
 * given ({@link #againstStored}). A conflict within a batch (one picture, two labels) refuses both.
 */
final class BatchValidator {
    /** Files larger than this are refused unread (a 40-megapixel photo is well under it). */
    static final long MAX_FILE_BYTES = 64L << 20;

    /** A record that passed every check so far. */
    record Accepted(String name, int label, byte[] pixels, String sha256, byte[] signature, java.nio.file.Path file,
            byte[] rawBytes) {}

    /** A refused record and the bytes to keep for it (null when there are none, e.g. a CSV row). */
    record Refused(Rejection rejection, java.nio.file.Path file, byte[] bytes, String sha256) {}

    /** What a source's records came to on their own: the accepted ones and why the others were refused. */
    record Result(List<Accepted> accepted, List<Refused> refused) {
        /**
         * Content address of a batch as read from its source, before it is compared with the store:
         * the label and pixels of each accepted record, in order, and the name, rule and content of
         * each refused one. The same batch gets the same id wherever it is read from; a batch that
         * differs only in a refused file is another batch, so that file is quarantined, not ignored.
         */
        String batchId() {
            var digest = Sha256.newDigest();
            for (Accepted a : accepted) {
                digest.update((byte) a.label());
                digest.update(a.pixels());
            }
            List<String> refusedLines = new ArrayList<>();
            for (Refused r : refused) {
                String content = r.sha256() != null ? r.sha256()
                        : r.file() != null ? "size " + r.file().toFile().length() : "";
                refusedLines.add(r.rejection().record() + "\t" + r.rejection().kind() + "\t" + content + "\n");
            }
            refusedLines.sort(null);
            refusedLines.forEach(line -> digest.update(line.getBytes(StandardCharsets.UTF_8)));
            return Sha256.hex(digest).substring(0, 16);
        }
    }

    /** Where an earlier record lives, for messages and label comparison. */
    private record Ref(String batch, String name, int label, Accepted accepted) {
        String describe() {
            return (batch == null ? name : name + " in batch " + batch) + " (label " + label + ")";
        }
    }

    private final ImagePreprocessor preprocessor;

    BatchValidator(ImagePreprocessor preprocessor) {
        this.preprocessor = preprocessor;
    }

    /** Each record of {@code listing} on its own and against the rest of its batch. */
    Result validate(SourceReader.Listing listing) {
        List<Refused> refused = new ArrayList<>();
        for (SourceReader.Early early : listing.rejected()) {
            refused.add(new Refused(early.rejection(), early.file(), null, null));
        }
        List<Accepted> accepted = new ArrayList<>();
        Map<String, Ref> byHash = new HashMap<>();
        NearDuplicates<Ref> near = new NearDuplicates<>();
        List<Accepted> conflicted = new ArrayList<>();
        for (SourceReader.Candidate c : listing.candidates()) {
            validate(c, accepted, byHash, near, refused, conflicted);
        }
        accepted.removeAll(conflicted);
        return new Result(accepted, refused);
    }

    private void validate(SourceReader.Candidate c, List<Accepted> accepted, Map<String, Ref> byHash,
            NearDuplicates<Ref> near, List<Refused> refused, List<Accepted> conflicted) {
        byte[] bytes;
        if (c.idxPixels() != null) {
            bytes = c.idxPixels();
        } else {
            try {
                long size = Files.size(c.file());
                if (size > MAX_FILE_BYTES) {
                    refused.add(new Refused(new Rejection(c.name(), String.format(java.util.Locale.ROOT,
                            "file is %.1f MB; the limit is %d MB", size / 1e6, MAX_FILE_BYTES >> 20), Kind.TOO_LARGE),
                            c.file(), null, null));
                    return;
                }
                bytes = Files.readAllBytes(c.file());
            } catch (IOException e) {
                refused.add(new Refused(new Rejection(c.name(), "cannot be read: " + e.getMessage(), Kind.UNDECODABLE),
                        c.file(), null, null));
                return;
            }
        }
        String sha = Sha256.of(bytes);
        Integer label = parseLabel(c.labelText());
        if (label == null) {
            refused.add(new Refused(new Rejection(c.name(), c.labelOrigin() + " '" + c.labelText()
                    + "' is not a label: expected an integer 0-9", Kind.BAD_LABEL), c.file(), bytes, sha));
            return;
        }
        Ref same = byHash.get(sha);
        if (same != null) {
            refused.add(new Refused(duplicate(c.name(), label, same, "byte-identical to", Kind.DUPLICATE),
                    c.file(), bytes, sha));
            conflict(c.name(), label, same, conflicted, refused);
            return;
        }
        byte[] pixels;
        byte[] signature;
        if (c.idxPixels() != null) {
            pixels = bytes;
            if (inkPixels(pixels) < 4) {
                refused.add(new Refused(new Rejection(c.name(), "image has no ink (fewer than 4 pixels' worth);"
                        + " it holds no digit", Kind.BLANK), null, bytes, sha));
                return;
            }
            int border = borderMedian(pixels);
            if (border > 127) {
                // IDX records are stored as they are, so they must already be ink (255) on black paper (0).
                refused.add(new Refused(new Rejection(c.name(), "the border is bright (median " + border
                        + "): IDX images must be white ink on black (0 = paper, 255 = ink); invert the file",
                        Kind.INVERTED), null, bytes, sha));
                return;
            }
            signature = NearDuplicates.signatureOfMnist(pixels);
        } else {
            try {
                BufferedImage image = preprocessor.decode(bytes);
                pixels = toBytes(preprocessor.preprocess(image));
                signature = NearDuplicates.signature(image);
            } catch (RequestException e) {
                Kind kind = switch (e.kind()) {
                    case TOO_LARGE -> Kind.TOO_LARGE;
                    case BAD_INPUT -> e.getMessage().contains("no ink") ? Kind.BLANK : Kind.UNDECODABLE;
                    default -> Kind.UNDECODABLE;
                };
                refused.add(new Refused(new Rejection(c.name(), e.getMessage(), kind), c.file(), bytes, sha));
                return;
            } catch (RuntimeException | OutOfMemoryError | StackOverflowError | LinkageError | AssertionError e) {
                // A decoder bug or a picture too big for this heap concerns this record only: what
                // it allocated is garbage now, so quarantine it and go on with the others.
                refused.add(new Refused(new Rejection(c.name(), decoderFailure(e), Kind.UNDECODABLE), c.file(), bytes,
                        sha));
                return;
            }
        }
        Accepted a = new Accepted(c.name(), label, pixels, sha, signature, c.file(), bytes);
        Optional<NearDuplicates.Match<Ref>> match = near.find(NearDuplicates.entry(signature, null));
        if (match.isPresent()) {
            Ref other = match.get().owner();
            String how = String.format(java.util.Locale.ROOT, "the same picture (similarity %.3f) as",
                    match.get().similarity());
            refused.add(new Refused(duplicate(c.name(), label, other, how, Kind.NEAR_DUPLICATE), c.file(), bytes, sha));
            conflict(c.name(), label, other, conflicted, refused);
            return;
        }
        Ref ref = new Ref(null, c.name(), label, a);
        byHash.put(sha, ref);
        near.add(NearDuplicates.entry(signature, ref));
        accepted.add(a);
    }

    private static String decoderFailure(Throwable e) {
        String what = e instanceof OutOfMemoryError ? "decoding it ran out of memory"
                : "the image decoder failed (" + e.getClass().getName() + ")";
        return what + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + "; convert it to a smaller PNG and ingest it again";
    }

    private static Rejection duplicate(String name, int label, Ref other, String how, Kind sameLabelKind) {
        if (other.label() != label) {
            return new Rejection(name, "labelled " + label + " but " + how + " " + other.describe()
                    + "; conflicting labels", Kind.CONFLICTING_DUPLICATE);
        }
        return new Rejection(name, how + " " + other.describe(), sameLabelKind);
    }

    /** Within a batch, a conflict discredits the earlier copy too: which label is right is unknown. */
    private static void conflict(String later, int label, Ref earlier, List<Accepted> conflicted,
            List<Refused> refused) {
        Accepted a = earlier.accepted();
        if (a == null || a.label() == label || conflicted.contains(a)) {
            return;
        }
        conflicted.add(a);
        refused.add(new Refused(new Rejection(a.name(), "labelled " + a.label()
                + " but " + later + " in this batch shows the same picture with label " + label
                + "; conflicting labels", Kind.CONFLICTING_DUPLICATE), a.file(), a.rawBytes(), a.sha256()));
    }

    /** Drops (into {@code refused}) the records already stored in an earlier batch. */
    List<Accepted> againstStored(List<Accepted> accepted, List<Refused> refused,
            List<BatchReader.StoredRecord> stored) {
        Map<String, Ref> byHash = new HashMap<>();
        NearDuplicates<Ref> near = new NearDuplicates<>();
        for (BatchReader.StoredRecord r : stored) {
            Ref ref = new Ref(r.batch(), r.name(), r.label(), null);
            byHash.putIfAbsent(r.sha256(), ref);
            near.add(NearDuplicates.entry(r.signature(), ref));
        }
        List<Accepted> fresh = new ArrayList<>();
        for (Accepted a : accepted) {
            Ref same = byHash.get(a.sha256());
            if (same != null) {
                refused.add(new Refused(duplicate(a.name(), a.label(), same, "byte-identical to", Kind.DUPLICATE),
                        a.file(), a.rawBytes(), a.sha256()));
                continue;
            }
            Optional<NearDuplicates.Match<Ref>> match = near.find(NearDuplicates.entry(a.signature(), null));
            if (match.isPresent()) {
                String how = String.format(java.util.Locale.ROOT, "the same picture (similarity %.3f) as",
                        match.get().similarity());
                refused.add(new Refused(duplicate(a.name(), a.label(), match.get().owner(), how,
                        Kind.NEAR_DUPLICATE), a.file(), a.rawBytes(), a.sha256()));
                continue;
            }
            fresh.add(a);
        }
        return fresh;
    }

    private static Integer parseLabel(String text) {
        String t = text == null ? "" : text.strip();
        if (!t.matches("[0-9]{1,3}")) {
            return null;
        }
        int v = Integer.parseInt(t);
        return v < DataStore.CLASSES ? v : null;
    }

    private static int inkPixels(byte[] pixels) {
        long sum = 0;
        for (byte p : pixels) {
            sum += p & 0xff;
        }
        return (int) (sum / 255);
    }

    private static int borderMedian(byte[] pixels) {
        int[] border = new int[4 * 28 - 4];
        int n = 0;
        for (int i = 0; i < 28; i++) {
            border[n++] = pixels[i] & 0xff;
            border[n++] = pixels[27 * 28 + i] & 0xff;
            if (i > 0 && i < 27) {
                border[n++] = pixels[i * 28] & 0xff;
                border[n++] = pixels[i * 28 + 27] & 0xff;
            }
        }
        Arrays.sort(border);
        return border[n / 2];
    }

    private static byte[] toBytes(float[] values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) Math.round(Math.max(0f, Math.min(1f, values[i])) * 255);
        }
        return out;
    }

    /** Digest of a source all of whose records were refused: names its quarantine. */
    static String sourceDigest(List<Refused> refused) {
        var digest = Sha256.newDigest();
        for (Refused r : refused) {
            digest.update((r.rejection().record() + "\t" + r.sha256() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return Sha256.hex(digest).substring(0, 16);
    }
}
