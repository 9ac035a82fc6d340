package org.mnistpipeline.monitor;

import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the model server's window summaries go and where drift checks read them: one entry per
 * window and writer, named {@code <model-version>/<window-start>-<instance>.json}. The instance
 * part keeps two servers (or a restarted one) sharing a store from replacing each other's
 * summaries; readers rely on the window times inside, never on the name. A directory
 * ({@link #local}) or an object prefix ({@link ObjectSummaryStore}).
 */
public interface SummaryStore {
    /**
     * The longest window a writer may use. Lets {@link #read} skip, by name alone, summaries that
     * start too early to overlap: a year of one-minute windows is half a million entries.
     */
    Duration MAX_WINDOW = Duration.ofDays(1);

    /** Stores {@code summary} (atomically) and returns where it went. */
    String write(PredictionSummary summary, String instance);

    /**
     * The summaries of {@code modelVersion} whose windows overlap {@code [from, to)}; a window that
     * straddles {@code from} counts whole (windows are short next to a drift check's span).
     * Unreadable entries are skipped and counted, so one torn or foreign entry cannot stop monitoring.
     */
    Found read(String modelVersion, Instant from, Instant to);

    /** Where the summaries are, for messages: a directory or an {@code s3://} prefix. */
    String location();

    /** What {@link #read} found: summaries overlapping the window, and how many entries were unreadable. */
    record Found(List<PredictionSummary> summaries, int skipped) {}

    /** Summaries in the directory {@code dir}. */
    static SummaryStore local(Path dir) {
        return new LocalSummaryStore(dir);
    }

    /** The entry name of a summary, without its version directory. */
    static String entryName(PredictionSummary summary, String instance) {
        return Names.TIME.format(summary.start()) + "-" + safe(instance, "instance") + ".json";
    }

    /** The window start an entry name begins with, or null for a name this interface did not make. */
    static Instant nameTime(String name) {
        int length = "yyyyMMddTHHmmss.SSSZ".length();
        if (name.length() < length) {
            return null;
        }
        try {
            return Instant.from(Names.TIME.parse(name.substring(0, length)));
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** The entry-name prefix of a window starting at {@code start}: names sort by window start. */
    static String timePrefix(Instant start) {
        return Names.TIME.format(start);
    }

    /**
     * Whether an entry named {@code name} may overlap {@code [from, to)}: it must not start after
     * the span, nor so early that even a {@link #MAX_WINDOW} window would end before it.
     */
    static boolean mayOverlap(String name, Instant from, Instant to) {
        Instant named = nameTime(name);
        return named == null || (named.isBefore(to) && !named.isBefore(from.minus(MAX_WINDOW)));
    }

    /** Names become path elements and keys: letters, digits, dot, dash and underscore only. */
    static String safe(String value, String what) {
        if (value == null || !Names.SAFE.matcher(value).matches() || value.contains("..")) {
            throw new IllegalArgumentException(what + " '" + value
                    + "' cannot name a file; use letters, digits, '.', '-' and '_'");
        }
        return value;
    }

    /** Constants of the naming scheme (an interface's fields are public; these need not be). */
    final class Names {
        private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
                .withZone(ZoneOffset.UTC);

        private Names() {}
    }
}
