package org.mnistpipeline.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The streaming Jackson factory of the serving path (requests, responses, a model's manifest at
 * load). It never needs data binding, and leaving out the ObjectMapper saves a few hundred milliseconds of cold start
 * (measured: first ObjectMapper use 200-270 ms on top of the factory's 130-150 ms).
 *
 * <p>Also the one place that turns Jackson's parse errors into messages for a client: Jackson's
 * own text names its classes and feature flags, and its limit errors carry no location.
 */
public final class JsonStreams {
    /** Longest number read, in characters; a pixel value needs a handful. */
    public static final int MAX_NUMBER_DIGITS = 1000;
    /** Deepest nesting of arrays and objects read; an image needs three levels, an event a few more. */
    public static final int MAX_NESTING_DEPTH = 1000;
    /** The limits every parser of untrusted JSON here uses, stated rather than inherited from Jackson's defaults. */
    public static final StreamReadConstraints CONSTRAINTS = StreamReadConstraints.builder()
            .maxNumberLength(MAX_NUMBER_DIGITS).maxNestingDepth(MAX_NESTING_DEPTH).build();

    /**
     * Immutable once built; thread-safe. Its buffers come from a shared pool, not Jackson's default
     * per-thread one: the server runs each request on a new virtual thread, where a thread-local
     * pool never hands a buffer back and every response allocated ~10 KB of fresh ones.
     */
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.newConcurrentDequePool())
            .streamReadConstraints(CONSTRAINTS)
            .build();

    /** Jackson's hints about its own switches: "enable `JsonReadFeature.X` to allow", "(`StreamReadFeature.Y` disabled)". */
    private static final Pattern FEATURE_HINT = Pattern.compile(":?\\s*enable\\s+`[^`]*`\\s+to allow");
    /** "(start marker at [Source: ...; line: 1, column: 1])", "(for Array starting at [Source: ...])". */
    private static final Pattern SOURCE_CLAUSE = Pattern.compile("\\s*\\([^()\\[]*\\[Source:[^\\]]*\\]\\)");
    private static final Pattern QUOTED_CODE = Pattern.compile("\\s*\\(?`[^`]*`\\)?");
    /** "(not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)". */
    private static final Pattern FEATURE_CLAUSE = Pattern.compile("\\s*\\([^()]*(?i:feature)[^()]*\\)");
    /** Whatever still names Jackson's switches or classes after the clean-up: the message is not shown. */
    private static final Pattern INTERNAL = Pattern.compile("(?i)feature|`|exception|jackson|\\bjava\\.|\\[Source");

    private JsonStreams() {}

    /**
     * What is wrong with a JSON document, for the person who sent it: the problem and where it is
     * (line and column, when known), never a Java class or a Jackson feature name. A clause that
     * callers put after their own subject ("malformed JSON: ...").
     */
    public static String describe(JsonProcessingException e) {
        if (e instanceof StreamConstraintsException) {
            return limitProblem(e.getOriginalMessage());
        }
        String where = location(e.getLocation());
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (e instanceof JsonEOFException || message.startsWith("Unexpected end-of-input")) {
            return "the document ends early (an array, object or string is not closed)" + where;
        }
        message = FEATURE_HINT.matcher(message).replaceAll("");
        message = QUOTED_CODE.matcher(message).replaceAll("");
        message = SOURCE_CLAUSE.matcher(message).replaceAll("");
        message = FEATURE_CLAUSE.matcher(message).replaceAll("").trim();
        // Quoted text is the sender's own ('NaN'), which may say anything; the rest must be ours to show.
        if (message.isEmpty() || INTERNAL.matcher(message.replaceAll("'[^']*'", "")).find()) {
            message = "it is not valid JSON (RFC 8259: no comments, NaN, single quotes or trailing commas)";
        }
        return message + where;
    }

    /** Jackson reports which limit as text only; anything unrecognised gets the limits spelled out. */
    private static String limitProblem(String jackson) {
        String text = jackson == null ? "" : jackson.toLowerCase(Locale.ROOT);
        if (text.contains("nesting")) {
            return "arrays or objects are nested more than " + MAX_NESTING_DEPTH + " levels deep; an image needs at"
                    + " most 3 levels ([[[28 numbers] × 28]])";
        }
        if (text.contains("number")) {
            return "a number is longer than " + MAX_NUMBER_DIGITS + " characters; write pixel values as plain"
                    + " numbers such as 0.5 or 255";
        }
        return "the document is over a parser limit (numbers of at most " + MAX_NUMBER_DIGITS + " characters, at"
                + " most " + MAX_NESTING_DEPTH + " levels of nesting, strings of at most "
                + StreamReadConstraints.DEFAULT_MAX_STRING_LEN + " characters)";
    }

    private static String location(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }
}
