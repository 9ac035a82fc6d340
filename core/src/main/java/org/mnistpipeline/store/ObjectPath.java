package org.mnistpipeline.store;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An object, or a prefix of objects, in a bucket: what {@code s3://bucket/key} names. Keys are
 * joined with '/', never start or end with one, and never hold an empty, {@code .} or {@code ..}
 * segment, so a key built by {@link #resolve} cannot climb out of the prefix it was built from.
 *
 * @param bucket the bucket
 * @param key    the key, or the empty string for the whole bucket
 */
public record ObjectPath(String bucket, String key) {
    public static final String SCHEME = "s3://";
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    public ObjectPath {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(key, "key");
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("'" + bucket + "' is not an S3 bucket name (3-63 lower-case letters,"
                    + " digits, '.' and '-')");
        }
        if (!key.isEmpty()) {
            checkKey(key);
        }
    }

    /** True when {@code location} is an {@code s3://} URI rather than a local path. */
    public static boolean isUri(String location) {
        return location != null && location.startsWith(SCHEME);
    }

    /** {@code s3://bucket} or {@code s3://bucket/some/prefix} (a trailing '/' is dropped). */
    public static ObjectPath parse(String uri) {
        if (!isUri(uri)) {
            throw new IllegalArgumentException("'" + uri + "' is not an s3:// URI (s3://bucket/prefix)");
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        while (key.endsWith("/")) {
            key = key.substring(0, key.length() - 1);
        }
        try {
            return new ObjectPath(bucket, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + uri + "' is not a usable s3:// URI: " + e.getMessage(), e);
        }
    }

    /** The object or prefix {@code relative} ('/'-separated) below this one. */
    public ObjectPath resolve(String relative) {
        checkKey(relative);
        return new ObjectPath(bucket, key.isEmpty() ? relative : key + "/" + relative);
    }

    /** This key as a prefix for listing: with its trailing '/', or empty for the whole bucket. */
    public String prefix() {
        return key.isEmpty() ? "" : key + "/";
    }

    /** The last segment of the key. */
    public String name() {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    /** The part of {@code fullKey} below this prefix, or null when it is not below it. */
    public String relativize(String fullKey) {
        return fullKey.startsWith(prefix()) && fullKey.length() > prefix().length()
                ? fullKey.substring(prefix().length()) : null;
    }

    @Override
    public String toString() {
        return SCHEME + bucket + (key.isEmpty() ? "" : "/" + key);
    }

    private static void checkKey(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("key '" + key + "' must not be empty or start or end with '/'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("key '" + key + "' has an empty, '.' or '..' segment");
            }
        }
        if (key.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '\\')) {
            throw new IllegalArgumentException("key '" + key + "' holds a control character or backslash");
        }
    }
}
