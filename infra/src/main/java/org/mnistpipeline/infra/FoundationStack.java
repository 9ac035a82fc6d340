package org.mnistpipeline.infra;

import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecr.TagMutability;
import software.amazon.awscdk.services.s3.Bucket;
import software.constructs.Construct;

/**
 * What everything else stands on: the artifacts bucket that {@code MNIST_HOME=s3://<bucket>/<prefix>} points at
 * (registry, data store, runs, inbox, monitoring, SageMaker model artifacts and checkpoints), the bucket their access
 * logs go to, and the ECR repository the project's image is pushed to. Both buckets are retained when the stack is
 * deleted: they hold the models and the data they were trained on.
 */
public final class FoundationStack extends Stack {
    private final Bucket artifacts;
    private final Bucket logs;
    private final Repository repository;

    public FoundationStack(Construct scope, String id, StackProps props, InfraSettings settings) {
        super(scope, id, props);
        logs = Buckets.logs(this, "AccessLogs");
        // A registry alias overwritten by mistake, or a deleted model, can be recovered from a noncurrent version.
        artifacts = Buckets.data(this, "Artifacts", logs, "artifacts/")
                // Object events go to EventBridge, where the pipeline stack's rule picks the inbox prefix out.
                .eventBridgeEnabled(true)
                .build();

        repository = Repository.Builder.create(this, "Images")
                .repositoryName("mnist-pipeline")
                .imageTagMutability(TagMutability.IMMUTABLE)
                .imageScanOnPush(true)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        Nag.suppressNotificationsHandler(this); // eventBridgeEnabled is set through CDK's notifications handler
    }

    public Bucket artifacts() {
        return artifacts;
    }

    public Bucket logs() {
        return logs;
    }

    public Repository repository() {
        return repository;
    }
}
