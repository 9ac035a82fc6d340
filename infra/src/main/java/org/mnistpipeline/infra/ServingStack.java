package org.mnistpipeline.infra;

import java.util.List;
import java.util.Map;
import org.mnistpipeline.pipeline.aws.Guardrails;
import org.mnistpipeline.pipeline.aws.TrainingJobs;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.applicationautoscaling.BasicTargetTrackingScalingPolicyProps;
import software.amazon.awscdk.services.applicationautoscaling.PredefinedMetric;
import software.amazon.awscdk.services.applicationautoscaling.ScalableTarget;
import software.amazon.awscdk.services.applicationautoscaling.ServiceNamespace;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.iam.PolicyDocument;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.sagemaker.CfnEndpoint;
import software.amazon.awscdk.services.sagemaker.CfnEndpointConfig;
import software.amazon.awscdk.services.sagemaker.CfnModel;
import software.amazon.awscdk.services.ssm.StringParameter;
import software.constructs.Construct;

/**
 * The SageMaker real-time endpoint (and optionally a serverless one) serving the project's image, pinned by digest,
 * with the production model the pipeline last promoted.
 *
 * <p><b>Who owns the model.</b> The stack declares no model artifact. It reads the SSM parameter
 * {@link InfraSettings.Names#modelParameter()} (a CloudFormation parameter of type
 * {@code AWS::SSM::Parameter::Value<String>}, resolved at every deploy), which the pipeline writes when it promotes.
 * So {@code cdk deploy} always deploys the model that is in production at that moment and can never roll it back;
 * when the pipeline has promoted since the last deploy, the deploy carries the same model to a new endpoint config.
 *
 * <p><b>Guardrails.</b> An update (from CloudFormation or from the pipeline's UpdateEndpoint) is a blue/green
 * deployment: one instance of the new fleet takes a canary share of traffic for 10 minutes, then all of it; the
 * 5xx-rate and p99-latency alarms of {@link ObservabilityStack} roll it back automatically if they fire.
 *
 * <p><b>Scaling.</b> Target tracking on {@code SageMakerVariantInvocationsPerInstance}, the target derived from the
 * measured throughput as {@link MeasuredThroughput#targetPerMinute} describes.
 */
public final class ServingStack extends Stack {
    /** Where the pipeline puts SageMaker model artifacts ({@code model.tar.gz}) under MNIST_HOME's prefix. */
    public static final String MODELS_PREFIX = TrainingJobs.MODELS;

    private final CfnEndpoint endpoint;
    private final CfnModel model;
    private final Role executionRole;
    private final long targetInvocationsPerMinute;
    private final CfnEndpoint serverlessEndpoint;

    public ServingStack(Construct scope, String id, StackProps props, InfraSettings settings, IBucket artifacts,
            List<Alarm> guardrailAlarms, MeasuredThroughput throughput) {
        super(scope, id, props);
        InfraSettings.Names names = settings.names();
        InfraSettings.ImageRef image = settings.imageRef();

        // The production model as the pipeline last promoted it: read at deploy time, never declared here.
        String modelDataUrl = StringParameter.valueForStringParameter(this, names.modelParameter());

        executionRole = Role.Builder.create(this, "ModelExecutionRole")
                .assumedBy(new ServicePrincipal("sagemaker.amazonaws.com"))
                .description("Runs the mnist-pipeline serving container: pulls its image, reads model artifacts, logs")
                .inlinePolicies(Map.of("serving", PolicyDocument.Builder.create().statements(List.of(
                        Iam.allow(List.of("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchCheckLayerAvailability"), List.of(repositoryArn(image))),
                        Iam.allow(List.of("ecr:GetAuthorizationToken"), List.of("*")),
                        Iam.allow(List.of("s3:GetObject"), List.of(
                                artifacts.arnForObjects(settings.homePrefix() + "/" + MODELS_PREFIX + "/*"))),
                        Iam.allow(List.of("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                "logs:DescribeLogStreams"), List.of(Stack.of(this).formatArn(ArnComponents.builder()
                                        .service("logs").resource("log-group")
                                        .resourceName("/aws/sagemaker/Endpoints/*")
                                        .arnFormat(ArnFormat.COLON_RESOURCE_NAME).build()))),
                        Iam.allow(List.of("cloudwatch:PutMetricData"), List.of("*")))).build()))
                .build();
        Nag.suppress(executionRole, "AwsSolutions-IAM5", List.of("Resource::*"),
                "ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level permissions");
        Nag.suppressWildcardResources(executionRole, List.of("/" + settings.homePrefix() + "/" + MODELS_PREFIX + "/*"),
                "model artifacts are named per training job under one prefix");
        Nag.suppress(executionRole, "AwsSolutions-IAM5", List.of(
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/*"),
                "SageMaker names each endpoint's log group and streams itself, under this prefix");
        model = CfnModel.Builder.create(this, "Model")
                .executionRoleArn(executionRole.getRoleArn())
                .primaryContainer(CfnModel.ContainerDefinitionProperty.builder()
                        .image(settings.image())
                        .modelDataUrl(modelDataUrl)
                        .build())
                .build();
        model.getNode().addDependency(executionRole);

        InstanceTypes.Spec instance = InstanceTypes.spec(settings.instanceType());
        CfnEndpointConfig config = CfnEndpointConfig.Builder.create(this, "EndpointConfig")
                .productionVariants(List.of(CfnEndpointConfig.ProductionVariantProperty.builder()
                        .variantName(names.variant()) // blue/green needs the same variant name in every config
                        .modelName(model.getAttrModelName())
                        .instanceType(instance.type())
                        .initialInstanceCount(settings.minInstances())
                        .initialVariantWeight(1)
                        .build()))
                .build();

        endpoint = CfnEndpoint.Builder.create(this, "Endpoint")
                .endpointName(names.endpoint())
                .endpointConfigName(config.getAttrEndpointConfigName())
                .deploymentConfig(guardrails(guardrailAlarms))
                .build();

        // Scaling: the target comes from our own measurement, not a guess; see MeasuredThroughput.
        targetInvocationsPerMinute = throughput.targetPerMinute(instance, settings.headroom());
        ScalableTarget target = ScalableTarget.Builder.create(this, "InstanceCount")
                .serviceNamespace(ServiceNamespace.SAGEMAKER)
                .resourceId("endpoint/" + names.endpoint() + "/variant/" + names.variant())
                .scalableDimension("sagemaker:variant:DesiredInstanceCount")
                .minCapacity(settings.minInstances())
                .maxCapacity(settings.maxInstances())
                // Application Auto Scaling acts through its service-linked role for SageMaker endpoints; a role of
                // our own would be created, passed and never used.
                .role(Role.fromRoleArn(this, "AutoScalingServiceLinkedRole", Stack.of(this).formatArn(
                        ArnComponents.builder().service("iam").region("").resource("role").resourceName(
                                "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                                        + "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint").build())))
                .build();
        target.getNode().addDependency(endpoint);
        target.scaleToTrackMetric("InvocationsPerInstance", BasicTargetTrackingScalingPolicyProps.builder()
                .predefinedMetric(PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE)
                .targetValue((double) targetInvocationsPerMinute)
                .policyName("invocations-per-instance")
                .scaleOutCooldown(Duration.minutes(1))
                .scaleInCooldown(Duration.minutes(5))
                .build());
        this.getTemplateOptions().setDescription("mnist-pipeline serving: SageMaker endpoint " + names.endpoint()
                + "; scaling target " + throughput.derivation(instance, settings.headroom()));

        serverlessEndpoint = settings.serverless() == null ? null : serverless(settings);

        CfnOutput.Builder.create(this, "EndpointName").value(endpoint.getAttrEndpointName()).build();
        CfnOutput.Builder.create(this, "ScalingTargetInvocationsPerMinute")
                .value(Long.toString(targetInvocationsPerMinute)).build();
    }

    /**
     * Blue/green with a one-instance canary for 10 minutes, rolled back by {@code alarms}: the project's
     * {@link Guardrails#canary}, which the retraining pipeline's own endpoint updates carry too.
     */
    static CfnEndpoint.DeploymentConfigProperty guardrails(List<Alarm> alarms) {
        Guardrails g = Guardrails.canary(alarms.stream().map(Alarm::getAlarmName).toList());
        return CfnEndpoint.DeploymentConfigProperty.builder()
                .blueGreenUpdatePolicy(CfnEndpoint.BlueGreenUpdatePolicyProperty.builder()
                        .trafficRoutingConfiguration(CfnEndpoint.TrafficRoutingConfigProperty.builder()
                                .type("CANARY")
                                .canarySize(CfnEndpoint.CapacitySizeProperty.builder()
                                        .type("INSTANCE_COUNT").value(g.canaryInstances()).build())
                                .waitIntervalInSeconds(g.canaryWaitSeconds())
                                .build())
                        .terminationWaitInSeconds(g.terminationWaitSeconds())
                        .maximumExecutionTimeoutInSeconds(g.maximumExecutionTimeoutSeconds())
                        .build())
                .autoRollbackConfiguration(CfnEndpoint.AutoRollbackConfigProperty.builder()
                        .alarms(g.alarms().stream().map(a -> (Object) CfnEndpoint.AlarmProperty.builder()
                                .alarmName(a).build()).toList())
                        .build())
                .build();
    }

    private CfnEndpoint serverless(InfraSettings settings) {
        InfraSettings.Serverless size = settings.serverless();
        CfnEndpointConfig config = CfnEndpointConfig.Builder.create(this, "ServerlessEndpointConfig")
                .productionVariants(List.of(CfnEndpointConfig.ProductionVariantProperty.builder()
                        .variantName(settings.names().variant())
                        .modelName(model.getAttrModelName())
                        .serverlessConfig(CfnEndpointConfig.ServerlessConfigProperty.builder()
                                .memorySizeInMb(size.memoryMb())
                                .maxConcurrency(size.maxConcurrency())
                                .build())
                        .build()))
                .build();
        CfnEndpoint serverless = CfnEndpoint.Builder.create(this, "ServerlessEndpoint")
                .endpointName(settings.names().serverlessEndpoint())
                .endpointConfigName(config.getAttrEndpointConfigName())
                .build();
        CfnOutput.Builder.create(this, "ServerlessEndpointName").value(serverless.getAttrEndpointName()).build();
        return serverless;
    }

    private String repositoryArn(InfraSettings.ImageRef image) {
        return Stack.of(this).formatArn(ArnComponents.builder().service("ecr").account(image.account())
                .region(image.region()).resource("repository").resourceName(image.repository()).build());
    }


    public CfnEndpoint endpoint() {
        return endpoint;
    }

    public CfnModel model() {
        return model;
    }

    public Role executionRole() {
        return executionRole;
    }

    public long targetInvocationsPerMinute() {
        return targetInvocationsPerMinute;
    }

    /** The serverless endpoint, or null when none was asked for. */
    public CfnEndpoint serverlessEndpoint() {
        return serverlessEndpoint;
    }
}
