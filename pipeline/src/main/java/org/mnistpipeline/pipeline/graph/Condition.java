package org.mnistpipeline.pipeline.graph;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A Choice rule's test on the state document, as in the Amazon States Language: a variable that
 * is missing is an error ({@code States.Runtime}), not false, in both interpretations.
 */
public sealed interface Condition permits Condition.BooleanEquals, Condition.StringEquals, Condition.And,
        Condition.Not {

    boolean test(JsonNode document);

    record BooleanEquals(String variable, boolean value) implements Condition {
        public BooleanEquals {
            JsonPaths.requireReference(variable);
        }

        @Override
        public boolean test(JsonNode document) {
            JsonNode v = JsonPaths.read(document, variable, null);
            return v.isBoolean() && v.booleanValue() == value;
        }
    }

    record StringEquals(String variable, String value) implements Condition {
        public StringEquals {
            JsonPaths.requireReference(variable);
        }

        @Override
        public boolean test(JsonNode document) {
            JsonNode v = JsonPaths.read(document, variable, null);
            return v.isTextual() && v.textValue().equals(value);
        }
    }

    record And(List<Condition> all) implements Condition {
        public And {
            all = List.copyOf(all);
        }

        @Override
        public boolean test(JsonNode document) {
            return all.stream().allMatch(c -> c.test(document));
        }
    }

    record Not(Condition condition) implements Condition {
        @Override
        public boolean test(JsonNode document) {
            return !condition.test(document);
        }
    }
}
