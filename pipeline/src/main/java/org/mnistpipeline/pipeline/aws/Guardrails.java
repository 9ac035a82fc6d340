package org.mnistpipeline.pipeline.aws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.mnistpipeline.io.Json;

/**
 * How the endpoint takes a new model: blue/green, one instance of the new fleet taking a canary share of traffic
 * for {@code canaryWaitSeconds}, then all of it; rolled back automatically when one of {@code alarms} fires. One
 * description for both ways an endpoint is updated: the Serving stack's CloudFormation endpoint and the
 * retraining pipeline's {@code UpdateEndpoint} call ({@link #deploymentConfig}).
 *
 * @param alarms CloudWatch alarm names that roll the update back
 */
public record Guardrails(int canaryInstances, int canaryWaitSeconds, int terminationWaitSeconds,
        int maximumExecutionTimeoutSeconds, List<String> alarms) {

    public Guardrails {
        alarms = List.copyOf(alarms);
        if (alarms.isEmpty()) {
            throw new IllegalArgumentException("guardrails need at least one alarm to roll back on");
        }
    }

    /** The project's canary: one instance for 10 minutes, the old fleet kept 5 more, at most an hour in all. */
    public static Guardrails canary(List<String> alarms) {
        return new Guardrails(1, 600, 300, 3600, alarms);
    }

    /** As SageMaker's API takes it ({@code DeploymentConfig} of {@code UpdateEndpoint}). */
    public ObjectNode deploymentConfig() {
        ObjectNode config = Json.mapper().createObjectNode();
        ObjectNode policy = config.putObject("BlueGreenUpdatePolicy");
        ObjectNode routing = policy.putObject("TrafficRoutingConfiguration");
        routing.put("Type", "CANARY");
        routing.putObject("CanarySize").put("Type", "INSTANCE_COUNT").put("Value", canaryInstances);
        routing.put("WaitIntervalInSeconds", canaryWaitSeconds);
        policy.put("TerminationWaitInSeconds", terminationWaitSeconds);
        policy.put("MaximumExecutionTimeoutInSeconds", maximumExecutionTimeoutSeconds);
        var list = config.putObject("AutoRollbackConfiguration").putArray("Alarms");
        alarms.forEach(a -> list.addObject().put("AlarmName", a));
        return config;
    }
}
