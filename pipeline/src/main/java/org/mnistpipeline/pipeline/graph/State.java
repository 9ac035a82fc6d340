package org.mnistpipeline.pipeline.graph;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One state of a {@link Graph}, named after the Amazon States Language state it becomes. Only the
 * subset the pipeline needs exists, and each has the same meaning in {@link Graph}'s own
 * interpretation (the local runner) as in Step Functions.
 */
public sealed interface State permits State.Task, State.Choice, State.Pass, State.Fail {

    /**
     * Runs a pipeline step on the whole state document and stores its output at {@code resultPath}.
     *
     * @param next    the state after it, or null when the execution ends here
     * @param retry   retried errors, first match wins (as ASL {@code Retry})
     * @param catches where errors go once retries are spent, first match wins (as ASL {@code Catch})
     */
    record Task(String step, String resultPath, String next, List<Retry> retry, List<Catch> catches)
            implements State {
        public Task {
            JsonPaths.requireReference(resultPath);
            retry = List.copyOf(retry);
            catches = List.copyOf(catches);
        }
    }

    /** Goes to the first rule's {@code next} whose condition holds, else to {@code otherwise}. */
    record Choice(List<Rule> rules, String otherwise) implements State {
        public Choice {
            rules = List.copyOf(rules);
        }
    }

    /** A branch of a {@link Choice}. */
    record Rule(Condition condition, String next) {}

    /**
     * Stores {@code parameters}, a payload template ({@code "key.$": "$.path"} copies from the
     * state document, other values are literal), at {@code resultPath}.
     */
    record Pass(ObjectNode parameters, String resultPath, String next) implements State {
        public Pass {
            JsonPaths.requireReference(resultPath);
            JsonPaths.requireTemplate(parameters);
            parameters = parameters.deepCopy();
        }
    }

    /** Ends the execution as failed. */
    record Fail(String error, String cause) implements State {}

    /**
     * Retries a failed Task whose error is one of {@code errors}: after {@code intervalSeconds},
     * then each wait {@code backoffRate} times longer, at most {@code maxAttempts} times.
     */
    record Retry(List<String> errors, int intervalSeconds, int maxAttempts, double backoffRate) {
        public Retry {
            errors = List.copyOf(errors);
        }
    }

    /** Sends a Task's error to {@code next}, with {@code {"Error", "Cause"}} stored at {@code resultPath}. */
    record Catch(List<String> errors, String resultPath, String next) {
        public Catch {
            errors = List.copyOf(errors);
            JsonPaths.requireReference(resultPath);
        }
    }
}
