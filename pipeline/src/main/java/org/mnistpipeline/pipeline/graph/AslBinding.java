package org.mnistpipeline.pipeline.graph;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.SequencedMap;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.graph.State.Task;

/**
 * How a graph's Task states reach AWS: the extension point between the pipeline's graph (what runs,
 * in which order, on which conditions) and a deployment (which AWS resource runs each step).
 * {@code StateMachineDefinition} asks the binding for each Task state's resource fields and keeps
 * everything the graph decides for itself, so a binding can change where steps run but never the
 * pipeline's logic.
 *
 * <p>A binding supplies, per Task state, the fields that say how the step is called:
 * {@code Resource}, and as the resource needs {@code Parameters}, {@code ResultSelector},
 * {@code TimeoutSeconds}, {@code HeartbeatSeconds}, {@code Credentials}, and a {@code Retry} list for
 * the resource's own transient errors (appended after the graph's retriers). It must not set
 * {@code Type}, {@code Next}, {@code End}, {@code ResultPath} or {@code Catch}: those are the
 * graph's, and the derivation refuses a binding that sets them.
 *
 * <p>The result a binding's resource returns must have the step's output shape (the JSON Schemas
 * under {@code contracts/}); a resource that answers differently reshapes its answer with
 * {@code ResultSelector}. Examples of what a binding can do without touching the graph:
 *
 * <ul>
 *   <li>train as a SageMaker training job: for step {@code train}, {@code Resource}
 *       {@code arn:aws:states:::sagemaker:createTrainingJob.sync} with the job's {@code Parameters},
 *       and a {@code ResultSelector} that maps the job description onto the train step's output;</li>
 *   <li>run the light steps in a step-runner Lambda: {@link #oneResource} with its ARN;</li>
 *   <li>deploy after promotion: {@link #after} the {@code promote} state returns the states that
 *       update an endpoint, whose last state's {@code Next} is {@link Splice#CONTINUE};</li>
 *   <li>prepare a Task's resource: {@link #before} the {@code train} state returns a state that
 *       stages the job's inputs; every transition into {@code train} (a Choice rule, the fallback's
 *       Pass state, {@code StartAt}) then enters the splice, whose {@link Splice#CONTINUE} is
 *       {@code train} itself.</li>
 * </ul>
 *
 * <p>Spliced states are plain ASL, the binding's own: the graph's states and rules are never
 * copied into them. A spliced Task that runs a step as the graph's Tasks do (with their retriers
 * and catchers) is rendered by {@code StateMachineDefinition.taskState}, the graph's own renderer.
 */
public interface AslBinding {

    /**
     * The resource fields of Task state {@code stateName}, which runs {@code task.step()}.
     * The derivation copies them; the binding may return a fresh node each time.
     */
    ObjectNode task(String stateName, Task task);

    /**
     * States to run after {@code stateName} and before the state the graph says comes next. Empty
     * by default. Works after Task and Pass states.
     */
    default Optional<Splice> after(String stateName) {
        return Optional.empty();
    }

    /**
     * States to run before {@code stateName}, entered wherever the graph enters {@code stateName}
     * ({@code StartAt}, {@code Next}, Choice rules and defaults, catchers); their
     * {@link Splice#CONTINUE} is {@code stateName}. Empty by default. Works before Task states.
     */
    default Optional<Splice> before(String stateName) {
        return Optional.empty();
    }

    /**
     * States spliced into the derived machine.
     *
     * @param start  the first of {@code states}
     * @param states ASL states by name; a {@code "Next"} of {@link #CONTINUE} (also in a Choice's
     *               rules and {@code Default}, or a catcher) is replaced by the state the graph goes
     *               to next (or by {@code "End": true} when it ends there)
     */
    record Splice(String start, SequencedMap<String, ObjectNode> states) {
        public static final String CONTINUE = "$continue";
    }

    /**
     * The default binding: every step is one call of the same resource (a Lambda function or any
     * Task resource that runs {@code mnist retrain step NAME --state … --run-id …}) with
     * {@code {"step": NAME, "runId": <execution name>, "state": <the whole state document>}}, whose
     * answer is the step's output. Training may take two hours, other steps fifteen minutes; the
     * Lambda service's transient errors are retried.
     */
    static AslBinding oneResource(String resourceArn) {
        return (stateName, task) -> {
            ObjectNode t = Json.mapper().createObjectNode();
            t.put("Resource", resourceArn);
            ObjectNode parameters = t.putObject("Parameters");
            parameters.put("step", task.step());
            parameters.put("runId.$", "$$.Execution.Name");
            parameters.put("state.$", "$");
            t.put("TimeoutSeconds", "train".equals(task.step()) ? 7200 : 900);
            ObjectNode retry = t.putArray("Retry").addObject();
            retry.putArray("ErrorEquals").add("Lambda.ServiceException").add("Lambda.SdkClientException")
                    .add("Lambda.TooManyRequestsException");
            retry.put("IntervalSeconds", 5).put("MaxAttempts", 3).put("BackoffRate", 2.0);
            return t;
        };
    }
}
