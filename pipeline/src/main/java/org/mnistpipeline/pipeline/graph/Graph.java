package org.mnistpipeline.pipeline.graph;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.graph.State.Catch;
import org.mnistpipeline.pipeline.graph.State.Choice;
import org.mnistpipeline.pipeline.graph.State.Fail;
import org.mnistpipeline.pipeline.graph.State.Pass;
import org.mnistpipeline.pipeline.graph.State.Retry;
import org.mnistpipeline.pipeline.graph.State.Rule;
import org.mnistpipeline.pipeline.graph.State.Task;

/**
 * A state machine described once, as data: Task states bound to pipeline steps, Choice rules over
 * their outputs, Pass states, retries and catches. Both ways of running it are derived from it:
 * {@link #advance} and {@link #retryDelay}/{@link #catcher} interpret it for the local runner, and
 * {@code StateMachineDefinition} renders the same states as Amazon States Language. Because the
 * interpretation follows the ASL semantics of each construct, the two agree by construction.
 *
 * @param states in order; the first is not necessarily {@code startAt}
 */
public record Graph(String comment, String startAt, SequencedMap<String, State> states) {
    /** Matches every error in a Retry or Catch. */
    public static final String ALL_ERRORS = "States.ALL";
    /** Matches every error a Task raises (all but timeouts). */
    public static final String TASK_FAILED = "States.TaskFailed";

    public Graph {
        states = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(states));
        if (!states.containsKey(startAt)) {
            throw new IllegalArgumentException("the graph starts at unknown state '" + startAt + "'");
        }
        for (var entry : states.entrySet()) {
            for (String target : targets(entry.getValue())) {
                if (!states.containsKey(target)) {
                    throw new IllegalArgumentException("state '" + entry.getKey() + "' leads to unknown state '"
                            + target + "'");
                }
            }
        }
    }

    private static List<String> targets(State state) {
        List<String> t = new ArrayList<>();
        switch (state) {
            case Task task -> {
                if (task.next() != null) {
                    t.add(task.next());
                }
                task.catches().forEach(c -> t.add(c.next()));
            }
            case Choice choice -> {
                choice.rules().forEach(r -> t.add(r.next()));
                t.add(choice.otherwise());
            }
            case Pass pass -> t.add(pass.next());
            case Fail fail -> { }
        }
        return t;
    }

    /** The Task state named {@code name}. */
    public Task task(String name) {
        if (states.get(name) instanceof Task task) {
            return task;
        }
        throw new IllegalArgumentException("'" + name + "' is not a task state; tasks are " + taskNames());
    }

    public List<String> taskNames() {
        return states.entrySet().stream().filter(e -> e.getValue() instanceof Task).map(e -> e.getKey()).toList();
    }

    /**
     * Where an execution stands between tasks.
     *
     * @param task     the Task state to run next, or null when the execution has ended
     * @param document the state document
     * @param fail     the Fail state the execution ended in, or null
     */
    public record Position(String task, JsonNode document, Fail fail) {
        public boolean ended() {
            return task == null;
        }
    }

    /**
     * Runs the states from {@code name} that need no step (Choice, Pass, Fail) and stops at the next
     * Task state; {@code name} null means the previous state ended the execution.
     */
    public Position advance(String name, JsonNode document, JsonNode context) {
        String current = name;
        JsonNode doc = document;
        for (int hops = 0; current != null; hops++) {
            if (hops > states.size()) {
                throw new IllegalStateException("states without a task loop from '" + name + "'");
            }
            State state = states.get(current);
            switch (state) {
                case Task task -> {
                    return new Position(current, doc, null);
                }
                case Fail fail -> {
                    return new Position(null, doc, fail);
                }
                case Pass pass -> {
                    doc = JsonPaths.write(doc, pass.resultPath(), JsonPaths.fill(pass.parameters(), doc, context));
                    current = pass.next();
                }
                case Choice choice -> {
                    String next = choice.otherwise();
                    for (Rule rule : choice.rules()) {
                        if (rule.condition().test(doc)) {
                            next = rule.next();
                            break;
                        }
                    }
                    current = next;
                }
            }
        }
        return new Position(null, doc, null);
    }

    /** The document after {@code task} returned {@code output}: the output stored at its ResultPath. */
    public JsonNode stateAfter(Task task, JsonNode document, JsonNode output) {
        return JsonPaths.write(document, task.resultPath(), output);
    }

    /**
     * Whether a Task that failed with {@code error} is retried, and after how long, as Step
     * Functions decides it: the first retrier naming the error counts; once its attempts are spent
     * the error goes to the catchers. {@code attempts} holds each retrier's count and is updated.
     */
    public Optional<Duration> retryDelay(Task task, String error, int[] attempts) {
        for (int i = 0; i < task.retry().size(); i++) {
            Retry retry = task.retry().get(i);
            if (matches(retry.errors(), error)) {
                if (attempts[i] >= retry.maxAttempts()) {
                    return Optional.empty();
                }
                double seconds = retry.intervalSeconds() * Math.pow(retry.backoffRate(), attempts[i]);
                attempts[i]++;
                return Optional.of(Duration.ofMillis(Math.round(seconds * 1000)));
            }
        }
        return Optional.empty();
    }

    /** The first catcher of {@code task} naming {@code error}. */
    public Optional<Catch> catcher(Task task, String error) {
        return task.catches().stream().filter(c -> matches(c.errors(), error)).findFirst();
    }

    /** {@code document} with a caught error stored where {@code c} says, as Step Functions stores it. */
    public static JsonNode caught(JsonNode document, Catch c, String error, String cause) {
        var info = Json.mapper().createObjectNode().put("Error", error).put("Cause", cause);
        return JsonPaths.write(document, c.resultPath(), info);
    }

    private static boolean matches(List<String> errors, String error) {
        return errors.stream().anyMatch(e -> e.equals(error) || e.equals(ALL_ERRORS) || e.equals(TASK_FAILED));
    }

    /** The context object a run's paths see: {@code $$.Execution.Name} is the run id. */
    public static JsonNode context(String executionName) {
        var context = Json.mapper().createObjectNode();
        context.putObject("Execution").put("Name", executionName);
        return context;
    }
}
