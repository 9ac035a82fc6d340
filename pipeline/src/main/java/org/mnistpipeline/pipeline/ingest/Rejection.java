package org.mnistpipeline.pipeline.ingest;

/**
 * One record that was not stored, and why. Nothing is dropped silently: every record of a source
 * is either accepted or appears as a rejection, and its original bytes are kept in the quarantine.
 *
 * @param record the file relative to the source ({@code 3/a.png}), {@code file#index} for an IDX
 *               record, or {@code labels.csv:line} for a CSV row
 * @param reason a sentence for people
 * @param kind   the rule that refused it, for counting
 */
public record Rejection(String record, String reason, Kind kind) {
    /** The rules, in the order they are applied. */
    public enum Kind {
        /** Not in a layout the source was detected as (e.g. a loose file next to label folders). */
        UNEXPECTED_FILE,
        /** Label missing, not an integer, or outside 0–9. */
        BAD_LABEL,
        /** An IDX pair whose structure is wrong (magic, dimensions, counts). */
        BAD_IDX,
        /** The file is larger than the ingestion limit, or the image has too many pixels. */
        TOO_LARGE,
        /** Not a PNG/JPEG/GIF/BMP image, or corrupt or truncated. */
        UNDECODABLE,
        /** Decodes, but holds no digit (blank, flat or specks only). */
        BLANK,
        /** An IDX image that is dark ink on white paper, the opposite of the MNIST convention. */
        INVERTED,
        /** Byte-identical to an accepted record with the same label. */
        DUPLICATE,
        /** The same picture re-encoded or rescaled, same label. */
        NEAR_DUPLICATE,
        /** The same (or nearly the same) picture with a different label. */
        CONFLICTING_DUPLICATE
    }

    public Rejection {
        if (record == null || reason == null || kind == null) {
            throw new IllegalArgumentException("a rejection needs a record, a reason and a kind");
        }
    }
}
