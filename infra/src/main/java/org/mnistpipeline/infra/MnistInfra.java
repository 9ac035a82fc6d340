package org.mnistpipeline.infra;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import io.github.cdklabs.cdknag.NagPackProps;
import java.nio.file.Path;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;

/**
 * The CDK app: five stacks by capability, checked by cdk-nag's AwsSolutions pack at every synth (a finding that is
 * not suppressed with a reason on its resource is an error, so {@code cdk synth} and {@code mnist aws synth} fail on
 * it). Stacks are environment-agnostic: the account and region are the deploying credentials'.
 *
 * <p>Order and references: observability (alarms by fixed names, no references) ← serving (names the guardrail
 * alarms) and foundation (buckets, repository) ← serving, edge, pipeline.
 */
public final class MnistInfra {
    /**
     * The app's stacks.
     *
     * @param serving  the serving stack, or null when no image was given
     * @param pipeline the pipeline stack, or null when no image was given
     */
    public record Stacks(App app, FoundationStack foundation, ObservabilityStack observability, ServingStack serving,
            EdgeStack edge, PipelineStack pipeline) {}

    private MnistInfra() {}

    /** Adds every stack to {@code app} with {@code settings}, and the AwsSolutions checks. */
    public static Stacks create(App app, InfraSettings settings) {
        // Cross-stack references as CloudFormation exports that protect their producer (CDK's behaviour so far,
        // stated so the CDK stops asking): the serving stack cannot lose its alarms or bucket under it.
        app.getNode().setContext("@aws-cdk/core:defaultCrossStackReferences", "strong");
        MeasuredThroughput throughput = MeasuredThroughput.load();
        StackProps props = StackProps.builder().build();
        FoundationStack foundation = new FoundationStack(app, "MnistFoundation", props, settings);
        ObservabilityStack observability = new ObservabilityStack(app, "MnistObservability", props, settings);
        EdgeStack edge = new EdgeStack(app, "MnistEdge", props, settings, foundation.artifacts());
        // Serving and the pipeline run the project's image; before one is pushed (to the repository the
        // foundation stack creates) they are left out, so a first deploy can create that repository.
        ServingStack serving = !settings.hasImage() ? null : new ServingStack(app, "MnistServing", props, settings,
                foundation.artifacts(), observability.guardrailAlarms(), throughput);
        PipelineStack pipeline = !settings.hasImage() ? null
                : new PipelineStack(app, "MnistPipeline", props, settings, foundation.artifacts(), serving);
        Tags.of(app).add("project", "mnist-pipeline");
        Aspects.of(app).add(new AwsSolutionsChecks(NagPackProps.builder().verbose(true).build()));
        return new Stacks(app, foundation, observability, serving, edge, pipeline);
    }

    /**
     * The app as the CDK CLI runs it ({@code cdk.json}'s {@code app}); settings come from context, the repository
     * root from {@code -Dmnist.root} (default: the working directory).
     */
    public static void main(String[] args) {
        App app = new App();
        Path root = Path.of(System.getProperty("mnist.root", ".")).toAbsolutePath().normalize();
        create(app, InfraSettings.fromContext(key -> app.getNode().tryGetContext(key), root));
        app.synth();
    }
}
