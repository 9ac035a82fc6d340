package org.mnistpipeline.pipeline.ingest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code records.tsv} of a stored batch: one row per accepted record, {@code sha256 TAB label
 * TAB name LF}. Names come from file names, which may hold any character but '/' and NUL, so a
 * name is percent-encoded: '%', every control character (tab, CR, LF, …) and DEL become
 * {@code %XX} of their UTF-8 bytes. Rows end with LF only; a CR is never a row break (batches
 * written before names were encoded may hold a raw CR inside a name, and still read correctly).
 */
final class RecordsFile {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    /** One parsed row. */
    record Row(String sha256, int label, String name) {}

    /** Why a records file cannot be read: its row number (1-based) and what is wrong with it. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    private RecordsFile() {}

    static String row(String sha256, int label, String name) {
        return sha256 + '\t' + label + '\t' + encode(name) + '\n';
    }

    /** The name with '%', control characters and DEL as {@code %XX}; everything else as it is. */
    static String encode(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%' || c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)
                    || c == '\u2028' || c == '\u2029') {
                for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
                    out.append('%').append(HEX.toHexDigits(b));
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Undoes {@link #encode}; a '%' not followed by two hex digits is kept as it is (older batches). */
    static String decode(String field) {
        if (field.indexOf('%') < 0) {
            return field;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(field.length());
        byte[] raw = field.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%' && i + 2 < raw.length
                    && HexFormat.isHexDigit(raw[i + 1]) && HexFormat.isHexDigit(raw[i + 2])) {
                bytes.write(HexFormat.fromHexDigits(new String(raw, i + 1, 2, StandardCharsets.US_ASCII)));
                i += 2;
            } else {
                bytes.write(raw[i]);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Every row of {@code content}, which must hold exactly {@code expected} of them (the batch
     * manifest's count), each with a SHA-256, a label 0–9 and a name.
     */
    static List<Row> parse(String content, int expected) throws Malformed {
        List<Row> rows = new ArrayList<>(expected);
        int start = 0;
        int number = 0;
        while (start < content.length()) {
            int end = content.indexOf('\n', start);
            if (end < 0) {
                throw new Malformed("row " + (number + 1) + " is not terminated (the file is cut short)");
            }
            number++;
            String line = content.substring(start, end);
            start = end + 1;
            String[] f = line.split("\t", 3);
            if (f.length != 3 || !SHA256.matcher(f[0]).matches() || !f[1].matches("[0-9]")) {
                String shown = line.length() > 80 ? line.substring(0, 80) + "…" : line;
                throw new Malformed("row " + number + " is not 'sha256<TAB>label<TAB>name' ("
                        + encode(shown) + ")");
            }
            rows.add(new Row(f[0], f[1].charAt(0) - '0', decode(f[2])));
        }
        if (rows.size() != expected) {
            throw new Malformed("it has " + rows.size() + " rows but the batch holds " + expected + " records");
        }
        return rows;
    }
}
