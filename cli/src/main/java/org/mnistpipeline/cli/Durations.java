package org.mnistpipeline.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The one way durations are written on this command line: {@code 90s}, {@code 30m}, {@code 6h}, {@code 2d} or ISO-8601. */
final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d+)([smhd])");

    private Durations() {}

    /** A positive duration; {@code flag} names the option in the error. */
    static Duration parse(String text, String flag) {
        Matcher m = SHORT.matcher(text.trim().toLowerCase(Locale.ROOT));
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } else {
            try {
                d = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(flag + " '" + text + "' is not a duration; use e.g. 30m, 1h, 2d");
            }
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(flag + " must be positive, got '" + text + "'");
        }
        return d;
    }
}
