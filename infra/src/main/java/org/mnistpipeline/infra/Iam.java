package org.mnistpipeline.infra;

import java.util.List;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyStatement;

/** Policy statements as the stacks write them: explicit actions on explicit resources, nothing granted by helpers. */
final class Iam {
    private Iam() {}

    static PolicyStatement allow(List<String> actions, List<String> resources) {
        return PolicyStatement.Builder.create().effect(Effect.ALLOW).actions(actions).resources(resources).build();
    }
}
