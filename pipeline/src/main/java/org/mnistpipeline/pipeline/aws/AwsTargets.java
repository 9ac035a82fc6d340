package org.mnistpipeline.pipeline.aws;

/**
 * The AWS resources a deployed retraining state machine calls, by ARN or name: what {@link AwsBinding} binds the
 * graph to. The infrastructure fills it with its resources (CloudFormation references where they are not known
 * before deploying); tests fill it with placeholders.
 *
 * @param stepRunner    ARN of the function that runs one step ({@code mnist retrain step}'s contract)
 * @param home          MNIST_HOME as the training job sees it ({@code s3://bucket/prefix})
 * @param modelParameter the SSM parameter holding the production model's {@code model.tar.gz} location, which the
 *                      Serving stack reads at every deploy
 */
public record AwsTargets(String stepRunner, String home, Training training, Endpoint endpoint, Function function,
        String modelParameter) {

    /**
     * A SageMaker training job on managed spot capacity.
     *
     * @param image              the project's image, by digest
     * @param role               ARN of the role the job runs as (passed by the state machine)
     * @param maxRuntimeSeconds  training time allowed
     * @param maxWaitSeconds     training plus waiting for spot capacity (at least {@code maxRuntimeSeconds})
     */
    public record Training(String image, String role, String instanceType, int volumeGb, int maxRuntimeSeconds,
            int maxWaitSeconds) {
        public Training {
            if (maxWaitSeconds < maxRuntimeSeconds) {
                throw new IllegalArgumentException("a spot job's wait (" + maxWaitSeconds + " s) must cover its"
                        + " runtime (" + maxRuntimeSeconds + " s)");
            }
        }
    }

    /**
     * The real-time endpoint the pipeline updates.
     *
     * @param modelRole ARN of the role models run as (passed by the state machine)
     */
    public record Endpoint(String name, String variant, String image, String modelRole, String instanceType,
            int instanceCount, Guardrails guardrails) {}

    /** The prediction function and the alias its URL and notifications invoke. */
    public record Function(String name, String alias) {}
}
