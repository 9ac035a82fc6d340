package org.mnistpipeline.pipeline.ingest;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.mnistpipeline.data.DataFingerprint;

/**
 * The description of one stored batch, written once as {@code batches/<id>/manifest.json}.
 *
 * @param formatVersion  version of the batch layout; readers refuse versions they do not know
 * @param id             16 hex digits of the SHA-256 over the batch as read from its source (label
 *                       and 28×28 pixels of each accepted record, name, rule and content hash of
 *                       each refused one), so the same batch always gets the same id
 * @param sequence       data version: 1 for the first batch stored, then 2, 3, …
 * @param source         where it came from, as given to {@code ingest}
 * @param ingestedAt     ISO-8601 instant
 * @param format         the detected layout: {@code idx}, {@code folders} or {@code csv}
 * @param accepted       records stored
 * @param quarantined    records refused (see {@code quarantine.jsonl})
 * @param classCounts    stored records per label 0–9
 * @param rejectedByKind refused records per {@link Rejection.Kind}
 * @param sha256         combined digest of the stored files, as {@code fingerprint.sha256()}
 * @param fingerprint    digest of each stored file, checked on every {@link DataStore#load}
 */
public record BatchManifest(int formatVersion, String id, int sequence, String source, String ingestedAt,
        String format, int accepted, int quarantined, int[] classCounts, Map<String, Integer> rejectedByKind,
        String sha256, DataFingerprint fingerprint) {

    public static final int FORMAT_VERSION = 1;

    public BatchManifest {
        classCounts = classCounts.clone();
        rejectedByKind = Map.copyOf(rejectedByKind);
    }

    /** Records refused as exact, near or conflicting duplicates. */
    public int duplicates() {
        return rejectedByKind.getOrDefault(Rejection.Kind.DUPLICATE.name(), 0)
                + rejectedByKind.getOrDefault(Rejection.Kind.NEAR_DUPLICATE.name(), 0)
                + rejectedByKind.getOrDefault(Rejection.Kind.CONFLICTING_DUPLICATE.name(), 0);
    }

    @Override
    public int[] classCounts() {
        return classCounts.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchManifest m && formatVersion == m.formatVersion && id.equals(m.id)
                && sequence == m.sequence && source.equals(m.source) && ingestedAt.equals(m.ingestedAt)
                && format.equals(m.format) && accepted == m.accepted && quarantined == m.quarantined
                && Arrays.equals(classCounts, m.classCounts) && rejectedByKind.equals(m.rejectedByKind)
                && sha256.equals(m.sha256) && fingerprint.equals(m.fingerprint);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, sequence, sha256);
    }

    @Override
    public String toString() {
        return "BatchManifest[" + id + " v" + sequence + ", " + accepted + " accepted, " + quarantined
                + " quarantined, from " + source + "]";
    }
}
