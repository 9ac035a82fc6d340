package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.pipeline.RunStore.StepRun;

/**
 * Walks a generated state machine the way Step Functions would, feeding each Task the output
 * that step produced in a real local run, and returns the Tasks visited. Supports the subset the
 * generator emits: Task (ResultPath), Pass (InputPath, ResultPath), Choice (BooleanEquals,
 * StringEquals, And) and End.
 */
final class AslWalker {
    private AslWalker() {}

    static List<String> walk(ObjectNode asl, RunRecord run) {
        ObjectNode state = Json.mapper().createObjectNode();
        state.set("request", run.state().get("request"));
        Iterator<StepRun> recorded = run.steps().stream().filter(s -> "succeeded".equals(s.status())).iterator();
        List<String> visited = new ArrayList<>();
        String name = asl.get("StartAt").asText();
        while (name != null) {
            JsonNode s = asl.get("States").get(name);
            switch (s.get("Type").asText()) {
                case "Task" -> {
                    StepRun step = recorded.next();
                    if (!step.name().equals(name)) {
                        throw new AssertionError("state machine ran " + name + " where the runner ran " + step.name());
                    }
                    visited.add(name);
                    set(state, s.get("ResultPath").asText(), step.output());
                    name = s.has("End") ? null : s.get("Next").asText();
                }
                case "Pass" -> {
                    set(state, s.get("ResultPath").asText(), get(state, s.get("InputPath").asText()).deepCopy());
                    name = s.get("Next").asText();
                }
                case "Choice" -> {
                    String next = s.get("Default").asText();
                    for (JsonNode rule : s.get("Choices")) {
                        if (matches(rule, state)) {
                            next = rule.get("Next").asText();
                            break;
                        }
                    }
                    name = next;
                }
                default -> throw new AssertionError("unexpected state type " + s.get("Type"));
            }
        }
        return visited;
    }

    private static boolean matches(JsonNode rule, ObjectNode state) {
        if (rule.has("And")) {
            for (JsonNode r : rule.get("And")) {
                if (!matches(r, state)) {
                    return false;
                }
            }
            return true;
        }
        JsonNode value = get(state, rule.get("Variable").asText());
        if (rule.has("BooleanEquals")) {
            return value.isBoolean() && value.asBoolean() == rule.get("BooleanEquals").asBoolean();
        }
        return value.isTextual() && value.asText().equals(rule.get("StringEquals").asText());
    }

    private static JsonNode get(ObjectNode state, String path) {
        JsonNode node = state;
        for (String part : path.substring(2).split("\\.")) {
            node = node.path(part);
        }
        return node;
    }

    private static void set(ObjectNode state, String path, JsonNode value) {
        String[] parts = path.substring(2).split("\\.");
        ObjectNode node = state;
        for (int i = 0; i < parts.length - 1; i++) {
            node = node.has(parts[i]) ? (ObjectNode) node.get(parts[i]) : node.putObject(parts[i]);
        }
        node.set(parts[parts.length - 1], value);
    }
}
