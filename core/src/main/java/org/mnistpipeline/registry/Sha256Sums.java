package org.mnistpipeline.registry;

import java.util.Collections;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@code SHA256SUMS} file of a package, in the format of GNU {@code sha256sum}
 * ({@code <hex>  <path>} per line, sorted by path), so {@code sha256sum -c SHA256SUMS} run inside
 * the package directory checks it without our code.
 *
 * @param digests lower-case hex digest by '/'-separated relative path
 */
record Sha256Sums(SortedMap<String, String> digests) {

    Sha256Sums {
        digests = Collections.unmodifiableSortedMap(new TreeMap<>(digests));
    }

    String format() {
        StringBuilder out = new StringBuilder();
        digests.forEach((path, digest) -> out.append(digest).append("  ").append(path).append('\n'));
        return out.toString();
    }

    /**
     * Parses the file; throws IllegalArgumentException naming the bad line. Paths are checked
     * here so nothing downstream ever resolves an entry that escapes the package.
     */
    static Sha256Sums parse(String content) {
        SortedMap<String, String> digests = new TreeMap<>();
        int lineNumber = 0;
        for (String line : (Iterable<String>) content.lines()::iterator) {
            lineNumber++;
            // "<64 hex><space><mode><path>" where mode is ' ' (text) or '*' (binary) in sha256sum output
            if (line.length() < 67 || line.charAt(64) != ' ' || (line.charAt(65) != ' ' && line.charAt(65) != '*')
                    || !isHex(line.substring(0, 64))) {
                throw new IllegalArgumentException("line " + lineNumber + " is not '<sha256>  <path>'");
            }
            String path = line.substring(66);
            int n = lineNumber;
            PackagePaths.problem(path).ifPresent(p -> {
                throw new IllegalArgumentException("line " + n + " names " + p + ": '" + path + "'");
            });
            if (digests.put(path, line.substring(0, 64).toLowerCase(Locale.ROOT)) != null) {
                throw new IllegalArgumentException("line " + lineNumber + " lists " + path + " a second time");
            }
        }
        return new Sha256Sums(digests);
    }

    static Sha256Sums of(Map<String, String> digests) {
        return new Sha256Sums(new TreeMap<>(digests));
    }

    private static boolean isHex(String s) {
        return s.chars().allMatch(HexFormat::isHexDigit);
    }
}
