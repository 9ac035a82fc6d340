package org.mnistpipeline.pipeline.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;
import org.mnistpipeline.io.Json;

/**
 * The part of the Amazon States Language's paths the graph uses, with the same meaning: reference
 * paths {@code $}, {@code $.a.b} (and {@code $$.a.b} into the context object), a ResultPath that
 * sets one field (creating objects on the way), and payload templates whose {@code "key.$"}
 * fields are paths. Anything outside this subset is refused when the graph is built, so the local
 * interpretation never meets what it cannot do.
 */
public final class JsonPaths {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\$?(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    private JsonPaths() {}

    /** An error raised while interpreting a state, named as Step Functions names it. */
    public static final class StatesException extends RuntimeException {
        private final String error;

        public StatesException(String error, String message) {
            super(message);
            this.error = error;
        }

        public String error() {
            return error;
        }
    }

    static void requireReference(String path) {
        if (path == null || !REFERENCE.matcher(path).matches()) {
            throw new IllegalArgumentException("'" + path + "' is not a path of the supported form $.a.b");
        }
    }

    /** The value at {@code path}; {@code $$} paths read {@code context}. Missing: States.Runtime. */
    public static JsonNode read(JsonNode document, String path, JsonNode context) {
        requireReference(path);
        JsonNode node = path.startsWith("$$") ? context : document;
        String rest = path.substring(path.startsWith("$$") ? 2 : 1);
        for (String part : rest.isEmpty() ? new String[0] : rest.substring(1).split("\\.")) {
            node = node == null ? null : node.get(part);
        }
        if (node == null) {
            throw new StatesException("States.Runtime", "the path '" + path + "' matches nothing in the input");
        }
        return node;
    }

    /** {@code document} with {@code value} at {@code resultPath} ({@code $} replaces it); a copy. */
    public static JsonNode write(JsonNode document, String resultPath, JsonNode value) {
        requireReference(resultPath);
        if (resultPath.equals("$")) {
            return value.deepCopy();
        }
        if (!document.isObject()) {
            throw new StatesException("States.ResultPathMatchFailure", "cannot set " + resultPath + " on a non-object");
        }
        ObjectNode root = (ObjectNode) document.deepCopy();
        String[] parts = resultPath.substring(2).split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null) {
                child = node.putObject(parts[i]);
            } else if (!child.isObject()) {
                throw new StatesException("States.ResultPathMatchFailure", "cannot set " + resultPath + ": "
                        + parts[i] + " is not an object");
            }
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], value.deepCopy());
        return root;
    }

    /** The payload template {@code template} filled from {@code document} and {@code context}. */
    public static JsonNode fill(JsonNode template, JsonNode document, JsonNode context) {
        if (!template.isObject()) {
            return template.deepCopy();
        }
        ObjectNode out = Json.mapper().createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = template.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().endsWith(".$")) {
                out.set(field.getKey().substring(0, field.getKey().length() - 2),
                        read(document, field.getValue().asText(), context).deepCopy());
            } else {
                out.set(field.getKey(), fill(field.getValue(), document, context));
            }
        }
        return out;
    }

    /** Checks every {@code .$} path of a template, recursively. */
    static void requireTemplate(JsonNode template) {
        if (template.isObject()) {
            template.fields().forEachRemaining(f -> {
                if (f.getKey().endsWith(".$")) {
                    requireReference(f.getValue().asText());
                } else {
                    requireTemplate(f.getValue());
                }
            });
        }
    }
}
