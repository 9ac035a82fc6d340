package org.mnistpipeline.data;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.mnistpipeline.io.Sha256;

/**
 * Identity of a dataset: the SHA-256 of each file (by role) and one combined digest over them.
 * Two datasets with the same fingerprint hold byte-identical data.
 *
 * @param sha256 combined digest: SHA-256 over "role=digest\n" lines in role order
 * @param files  digest of each file's uncompressed content, keyed by role
 */
public record DataFingerprint(String sha256, Map<String, String> files) {

    public DataFingerprint {
        files = Map.copyOf(files);
    }

    public static DataFingerprint of(Map<String, String> fileDigests) {
        StringBuilder lines = new StringBuilder();
        new TreeMap<>(fileDigests).forEach((role, digest) -> lines.append(role).append('=').append(digest).append('\n'));
        return new DataFingerprint(Sha256.of(lines.toString().getBytes(StandardCharsets.UTF_8)), new TreeMap<>(fileDigests));
    }

    public String shortId() {
        return sha256.substring(0, 12);
    }
}
