package org.mnistpipeline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.graph.AslBinding;
import org.mnistpipeline.pipeline.graph.AslBinding.Splice;
import org.mnistpipeline.pipeline.graph.Condition;
import org.mnistpipeline.pipeline.graph.Graph;
import org.mnistpipeline.pipeline.graph.State;

/**
 * A {@link Graph} rendered as an AWS Step Functions state machine (Amazon States Language),
 * derived state by state, so it cannot drift from what {@link PipelineRunner} runs. The graph
 * decides every transition, choice rule, Pass state, retrier and catcher; an {@link AslBinding}
 * decides only which resource each Task calls and how ({@link AslBinding#oneResource} by default).
 */
public final class StateMachineDefinition {
    private static final List<String> GRAPH_FIELDS = List.of("Type", "Next", "End", "ResultPath", "Catch");

    private StateMachineDefinition() {}

    /** The retraining pipeline ({@link RetrainGraph}) with every Task calling {@code taskResource}. */
    public static ObjectNode asl(String taskResource) {
        return asl(RetrainGraph.definition(), AslBinding.oneResource(taskResource));
    }

    /** {@code graph} as an ASL document, its Tasks bound to resources by {@code binding}. */
    public static ObjectNode asl(Graph graph, AslBinding binding) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("Comment", graph.comment());
        root.put("StartAt", graph.startAt());
        ObjectNode states = root.putObject("States");
        // state name -> (start of the states spliced in before it, their names)
        Map<String, Splice> before = new LinkedHashMap<>();
        for (Map.Entry<String, State> entry : graph.states().entrySet()) {
            String name = entry.getKey();
            ObjectNode rendered = render(name, entry.getValue(), binding);
            states.set(name, rendered);
            Optional<Splice> after = binding.after(name);
            if (after.isPresent()) {
                if (!(entry.getValue() instanceof State.Task) && !(entry.getValue() instanceof State.Pass)) {
                    throw new IllegalArgumentException("states can be spliced in after a Task or Pass state only, not "
                            + name);
                }
                JsonNode next = rendered.remove("Next");
                rendered.remove("End");
                rendered.put("Next", after.get().start());
                splice(states, after.get(), next == null ? null : next.asText());
            }
            Optional<Splice> ahead = binding.before(name);
            if (ahead.isPresent()) {
                if (!(entry.getValue() instanceof State.Task)) {
                    throw new IllegalArgumentException("states can be spliced in before a Task state only, not " + name);
                }
                before.put(name, ahead.get());
            }
        }
        before.forEach((target, splice) -> splice(states, splice, target));
        before.forEach((target, splice) -> {
            // Everything that enters the state enters its splice instead, except the splice itself.
            states.properties().forEach(e -> {
                if (!splice.states().containsKey(e.getKey())) {
                    retarget((ObjectNode) e.getValue(), to -> to.equals(target) ? splice.start() : to);
                }
            });
            if (root.get("StartAt").asText().equals(target)) {
                root.put("StartAt", splice.start());
            }
        });
        return root;
    }

    /**
     * {@code task} rendered as the graph's own Task states are, named {@code name}: for a binding
     * whose spliced states run a step through the same resource, retrying and failing exactly as
     * the graph's Tasks do. {@code task.next()} may be {@link Splice#CONTINUE}.
     */
    public static ObjectNode taskState(String name, State.Task task, AslBinding binding) {
        return render(name, task, binding);
    }

    private static ObjectNode retryAndCatch(State.Task task) {
        ObjectNode s = Json.mapper().createObjectNode();
        if (!task.retry().isEmpty()) {
            ArrayNode retry = s.putArray("Retry");
            for (State.Retry r : task.retry()) {
                ObjectNode o = retry.addObject();
                r.errors().forEach(o.putArray("ErrorEquals")::add);
                o.put("IntervalSeconds", r.intervalSeconds()).put("MaxAttempts", r.maxAttempts())
                        .put("BackoffRate", r.backoffRate());
            }
        }
        if (!task.catches().isEmpty()) {
            ArrayNode catches = s.putArray("Catch");
            for (State.Catch c : task.catches()) {
                ObjectNode o = catches.addObject();
                c.errors().forEach(o.putArray("ErrorEquals")::add);
                o.put("ResultPath", c.resultPath()).put("Next", c.next());
            }
        }
        return s;
    }

    /** Adds {@code splice}'s states with {@link Splice#CONTINUE} replaced by {@code next} (null: the end). */
    private static void splice(ObjectNode states, Splice splice, String next) {
        splice.states().forEach((spliced, state) -> {
            if (states.has(spliced)) {
                throw new IllegalArgumentException("spliced state '" + spliced + "' is already a state");
            }
            ObjectNode copy = state.deepCopy();
            if (next == null && Splice.CONTINUE.equals(copy.path("Next").asText(null))) {
                copy.remove("Next");
                copy.put("End", true);
            }
            retarget(copy, to -> {
                if (!to.equals(Splice.CONTINUE)) {
                    return to;
                }
                if (next == null) {
                    throw new IllegalArgumentException("state '" + spliced + "' continues where the graph ends; only"
                            + " a Next may do that");
                }
                return next;
            });
            states.set(spliced, copy);
        });
    }

    /** Rewrites every transition of one ASL state: Next, a Choice's rules and Default, catchers. */
    private static void retarget(ObjectNode state, UnaryOperator<String> to) {
        for (String field : List.of("Next", "Default")) {
            if (state.hasNonNull(field)) {
                state.put(field, to.apply(state.get(field).asText()));
            }
        }
        for (String list : List.of("Choices", "Catch")) {
            for (JsonNode item : state.path(list)) {
                if (item.hasNonNull("Next")) {
                    ((ObjectNode) item).put("Next", to.apply(item.get("Next").asText()));
                }
            }
        }
    }

    private static ObjectNode render(String name, State state, AslBinding binding) {
        ObjectNode s = Json.mapper().createObjectNode();
        switch (state) {
            case State.Task task -> {
                ObjectNode fields = binding.task(name, task).deepCopy();
                for (String reserved : GRAPH_FIELDS) {
                    if (fields.has(reserved)) {
                        throw new IllegalArgumentException("a binding may not set " + reserved + " (state " + name
                                + "): the graph decides it");
                    }
                }
                JsonNode bindingRetry = fields.remove("Retry");
                s.put("Type", "Task");
                s.setAll(fields);
                s.put("ResultPath", task.resultPath());
                ObjectNode rules = retryAndCatch(task);
                ArrayNode retry = rules.has("Retry") ? (ArrayNode) rules.get("Retry")
                        : Json.mapper().createArrayNode();
                if (bindingRetry != null) {
                    bindingRetry.forEach(retry::add);
                }
                if (!retry.isEmpty()) {
                    s.set("Retry", retry);
                }
                if (rules.has("Catch")) {
                    s.set("Catch", rules.get("Catch"));
                }
                next(s, task.next());
            }
            case State.Choice choice -> {
                s.put("Type", "Choice");
                ArrayNode rules = s.putArray("Choices");
                for (State.Rule rule : choice.rules()) {
                    rules.add(condition(rule.condition()).put("Next", rule.next()));
                }
                s.put("Default", choice.otherwise());
            }
            case State.Pass pass -> {
                s.put("Type", "Pass");
                s.set("Parameters", pass.parameters().deepCopy());
                s.put("ResultPath", pass.resultPath());
                next(s, pass.next());
            }
            case State.Fail fail -> s.put("Type", "Fail").put("Error", fail.error()).put("Cause", fail.cause());
        }
        return s;
    }

    private static ObjectNode condition(Condition condition) {
        ObjectNode c = Json.mapper().createObjectNode();
        switch (condition) {
            case Condition.BooleanEquals b -> c.put("Variable", b.variable()).put("BooleanEquals", b.value());
            case Condition.StringEquals e -> c.put("Variable", e.variable()).put("StringEquals", e.value());
            case Condition.And and -> {
                ArrayNode all = c.putArray("And");
                and.all().forEach(inner -> all.add(condition(inner)));
            }
            case Condition.Not not -> c.set("Not", condition(not.condition()));
        }
        return c;
    }

    private static void next(ObjectNode s, String next) {
        if (next == null) {
            s.put("End", true);
        } else {
            s.put("Next", next);
        }
    }
}
