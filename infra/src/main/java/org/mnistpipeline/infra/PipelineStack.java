package org.mnistpipeline.infra;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.aws.AwsBinding;
import org.mnistpipeline.pipeline.aws.AwsTargets;
import org.mnistpipeline.pipeline.aws.Guardrails;
import org.mnistpipeline.pipeline.aws.TrainingJobs;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Size;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ecr.IRepository;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecr.RepositoryAttributes;
import software.amazon.awscdk.services.events.EventPattern;
import software.amazon.awscdk.services.events.Match;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.RuleTargetInput;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.SfnStateMachine;
import software.amazon.awscdk.services.events.targets.SfnStateMachineProps;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyDocument;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.DockerImageCode;
import software.amazon.awscdk.services.lambda.DockerImageFunction;
import software.amazon.awscdk.services.lambda.EcrImageCodeProps;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.stepfunctions.DefinitionBody;
import software.amazon.awscdk.services.stepfunctions.LogLevel;
import software.amazon.awscdk.services.stepfunctions.LogOptions;
import software.amazon.awscdk.services.stepfunctions.StateMachine;
import software.amazon.awscdk.services.stepfunctions.StateMachineType;
import software.constructs.Construct;

/**
 * The retraining pipeline on Step Functions: the state machine (logging ALL with execution data, X-Ray tracing)
 * whose definition is the pipeline module's graph bound to AWS ({@link AwsBinding}, the definition the CLI module's
 * {@code AwsBindingExecutionTest} executes), the step-runner function its light steps run on, the SageMaker
 * training-job role its {@code train} state passes, an EventBridge schedule, and a rule that starts a run when a
 * batch in MNIST_HOME's inbox is marked ready.
 *
 * <p>After {@code promote} the state machine deploys: SageMaker {@code CreateModel}, {@code CreateEndpointConfig},
 * {@code UpdateEndpoint} (with {@link ServingStack}'s guardrails) on the Serving stack's endpoint, the Edge stack's
 * function pinned to the version, published and its alias moved, and the production model's SSM parameter
 * written. Its role may do exactly that: each action on the named resources, and {@code iam:PassRole} on exactly
 * the training role and the serving model's role, to SageMaker only.
 */
public final class PipelineStack extends Stack {
    /** Training jobs, models and endpoint configs the state machine may create: {@link TrainingJobs#uniqueName}. */
    public static final String TRAINING_JOB_PREFIX = "mnist-";
    /** A batch in the inbox starts a run when this object appears in its folder, so a batch of many files starts one run. */
    public static final String READY_MARKER = "_READY";
    static final String SAGEMAKER_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTrainingJobsRule";

    private final StateMachine stateMachine;
    private final DockerImageFunction stepRunner;
    private final Role trainingRole;
    private final Role stateMachineRole;
    private final Rule schedule;
    private final Rule inbox;

    /** Where the training jobs run; a small CNN trains in minutes on four vCPUs. */
    static final String TRAINING_INSTANCE_TYPE = "ml.m5.xlarge";
    static final int TRAINING_VOLUME_GB = 10;
    /** Training time allowed, and training plus waiting for spot capacity. */
    static final int TRAINING_MAX_RUNTIME_SECONDS = 2 * 3600;
    static final int TRAINING_MAX_WAIT_SECONDS = 4 * 3600;

    public PipelineStack(Construct scope, String id, StackProps props, InfraSettings settings, IBucket artifacts,
            ServingStack serving) {
        super(scope, id, props);
        InfraSettings.Names names = settings.names();
        InfraSettings.ImageRef image = settings.imageRef();
        String home = settings.homePrefix();
        IRepository repository = Repository.fromRepositoryAttributes(this, "ImageRepository",
                RepositoryAttributes.builder().repositoryName(image.repository())
                        .repositoryArn(formatArn(ArnComponents.builder().service("ecr").account(image.account())
                                .region(image.region()).resource("repository").resourceName(image.repository())
                                .build()))
                        .build());
        String jobs = home + "/" + TrainingJobs.JOBS;
        String checkpoints = home + "/" + TrainingJobs.CHECKPOINTS;

        // A job reads its channels (and its checkpoints, after a spot interruption) and writes only its own
        // output and checkpoints: never the registry, the data store, or the models an endpoint serves.
        trainingRole = Role.Builder.create(this, "TrainingJobRole")
                .assumedBy(new ServicePrincipal("sagemaker.amazonaws.com"))
                .description("SageMaker training jobs of the retraining pipeline: read channels, write artefact and checkpoints")
                .inlinePolicies(Map.of("train", PolicyDocument.Builder.create().statements(List.of(
                        Iam.allow(List.of("s3:GetObject"), List.of(artifacts.arnForObjects(jobs + "/*"),
                                artifacts.arnForObjects(checkpoints + "/*"))),
                        Iam.allow(List.of("s3:PutObject"), List.of(artifacts.arnForObjects(jobs + "/*/output/*"),
                                artifacts.arnForObjects(checkpoints + "/*"))),
                        PolicyStatement.Builder.create().effect(Effect.ALLOW).actions(List.of("s3:ListBucket"))
                                .resources(List.of(artifacts.getBucketArn()))
                                .conditions(Map.of("StringLike", Map.of("s3:prefix", List.of(jobs + "/*",
                                        checkpoints + "/*"))))
                                .build(),
                        Iam.allow(List.of("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchCheckLayerAvailability"), List.of(repository.getRepositoryArn())),
                        Iam.allow(List.of("ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"), List.of("*")),
                        Iam.allow(List.of("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                "logs:DescribeLogStreams"), List.of(formatArn(ArnComponents.builder()
                                        .service("logs").resource("log-group")
                                        .resourceName("/aws/sagemaker/TrainingJobs:*")
                                        .arnFormat(ArnFormat.COLON_RESOURCE_NAME).build())))))
                        .build()))
                .build();
        Nag.suppress(trainingRole, "AwsSolutions-IAM5", List.of("Resource::*"),
                "ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level permissions");
        Nag.suppressWildcardResources(trainingRole, List.of("/" + jobs + "/*", "/" + jobs + "/*/output/*",
                        "/" + checkpoints + "/*"),
                "a job reads the channels staged for it and writes its output and checkpoints, under folders named"
                        + " after the job, which is named per run and attempt");
        Nag.suppress(trainingRole, "AwsSolutions-IAM5", List.of("Resource::arn:<AWS::Partition>:logs:<AWS::Region>:"
                        + "<AWS::AccountId>:log-group:/aws/sagemaker/TrainingJobs:*"),
                "SageMaker writes every training job's log stream into this one group");

        LogGroup runnerLogs = LogGroup.Builder.create(this, "StepRunnerLogs")
                .logGroupName("/aws/lambda/mnist-pipeline-step")
                .retention(RetentionDays.THREE_MONTHS)
                .build();
        Role runnerRole = Role.Builder.create(this, "StepRunnerRole")
                .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                .description("Runs one light pipeline step (mnist retrain step NAME) against MNIST_HOME in S3")
                .inlinePolicies(Map.of("step", PolicyDocument.Builder.create().statements(List.of(
                        Iam.allow(List.of("logs:CreateLogStream", "logs:PutLogEvents"),
                                List.of(runnerLogs.getLogGroupArn())),
                        Iam.allow(List.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                                List.of(artifacts.arnForObjects(home + "/*"))),
                        PolicyStatement.Builder.create().effect(Effect.ALLOW).actions(List.of("s3:ListBucket"))
                                .resources(List.of(artifacts.getBucketArn()))
                                .conditions(Map.of("StringLike", Map.of("s3:prefix", List.of(home + "/*"))))
                                .build()))
                        .build()))
                .build();
        Nag.suppressWildcardResources(runnerRole, List.of("/" + home + "/*"),
                "a step reads and writes MNIST_HOME's registry, data store, runs and inbox, all under its prefix");
        // The project's image, by digest, running one step per invocation under the Lambda runtime interface client.
        stepRunner = DockerImageFunction.Builder.create(this, "StepRunner")
                .functionName("mnist-pipeline-step")
                .description("Runs one retraining step: mnist retrain step NAME --state ... --run-id ...")
                .code(DockerImageCode.fromEcr(repository, EcrImageCodeProps.builder()
                        .tagOrDigest(image.digest())
                        .cmd(List.of("step-runner"))
                        .build()))
                .memorySize(3008)
                .timeout(Duration.minutes(15))
                .ephemeralStorageSize(Size.gibibytes(10))
                .role(runnerRole)
                .logGroup(runnerLogs)
                // MNIST_HOME is the one setting that puts the registry, data store and runs in the bucket; Lambda
                // gives a container a read-only file system except /tmp, where scratch goes.
                .environment(Map.of("MNIST_HOME", mnistHome(artifacts, home), "MNIST_CACHE_DIR", "/tmp/mnist-cache"))
                .build();

        stateMachineRole = Role.Builder.create(this, "StateMachineRole")
                .assumedBy(new ServicePrincipal("states.amazonaws.com"))
                .description("The retraining state machine: runs steps, SageMaker training jobs, and the deployment")
                .build();
        stateMachineRole.addToPolicy(Iam.allow(List.of("lambda:InvokeFunction"),
                List.of(stepRunner.getFunctionArn(), stepRunner.getFunctionArn() + ":*")));
        trainingPermissions(stateMachineRole, trainingRole);
        deployPermissions(stateMachineRole, settings, serving.executionRole());
        // One run at a time: the state machine lists its own running executions (by name: its ARN would be a cycle).
        stateMachineRole.addToPolicy(Iam.allow(List.of("states:ListExecutions"), List.of(formatArn(
                ArnComponents.builder().service("states").resource("stateMachine").resourceName(names.stateMachine())
                        .arnFormat(ArnFormat.COLON_RESOURCE_NAME).build()))));

        LogGroup executions = LogGroup.Builder.create(this, "ExecutionLogs")
                .logGroupName("/aws/vendedlogs/states/" + names.stateMachine())
                .retention(RetentionDays.THREE_MONTHS)
                .build();
        stateMachine = StateMachine.Builder.create(this, "Retrain")
                .stateMachineName(names.stateMachine())
                .stateMachineType(StateMachineType.STANDARD)
                .definitionBody(DefinitionBody.fromString(definition(targets(settings, stepRunner.getFunctionArn(),
                        mnistHome(artifacts, home), trainingRole.getRoleArn(), serving.executionRole().getRoleArn()))))
                .role(stateMachineRole)
                .logs(LogOptions.builder().destination(executions).level(LogLevel.ALL).includeExecutionData(true)
                        .build())
                .tracingEnabled(true)
                .build();
        Nag.suppress(stateMachineRole, "AwsSolutions-IAM5", List.of("Resource::*"),
                "CDK grants X-Ray tracing (xray:PutTraceSegments and friends) and Step Functions log delivery"
                        + " (logs:CreateLogDelivery and friends), which support no resource-level permissions");
        Nag.suppressWildcardResources(stateMachineRole, List.of(":*"),
                "the step runner's versions and aliases (its ARN followed by :qualifier)");
        Nag.suppress(stateMachineRole, "AwsSolutions-IAM5", List.of(
                        sageMakerWildcard("training-job"), sageMakerWildcard("model"), sageMakerWildcard("endpoint-config")),
                "training jobs, models and endpoint configs are named per run and attempt (a name is never reused),"
                        + " all under the mnist- prefix");
        Nag.suppress(stateMachineRole, "AwsSolutions-IAM5", List.of("Resource::arn:<AWS::Partition>:sagemaker:"
                        + "<AWS::Region>:<AWS::AccountId>:endpoint-config/*"),
                "sagemaker:UpdateEndpoint only, on the one endpoint: a rollback returns it to the config it ran"
                        + " before, which CloudFormation may have named");
        Nag.suppress(stateMachineRole, "AwsSolutions-IAM5", List.of("Resource::arn:<AWS::Partition>:lambda:"
                        + "<AWS::Region>:<AWS::AccountId>:function:" + names.function() + ":*"),
                "the deployment reads the state of the version it has just published, whose number it learns then");

        schedule = Rule.Builder.create(this, "Schedule")
                .description("Scheduled retraining run")
                .schedule(Schedule.expression(settings.retrainSchedule()))
                .targets(List.of(new SfnStateMachine(stateMachine, SfnStateMachineProps.builder()
                        .input(RuleTargetInput.fromObject(request("scheduled"))).build())))
                .build();
        inbox = Rule.Builder.create(this, "InboxBatchReady")
                .description("A batch under MNIST_HOME/inbox/ was marked ready: retrain with it")
                .eventPattern(EventPattern.builder()
                        .source(List.of("aws.s3"))
                        .detailType(List.of("Object Created"))
                        .detail(Map.of(
                                "bucket", Map.of("name", List.of(artifacts.getBucketName())),
                                "object", Map.of("key", Match.wildcard(home + "/inbox/*/" + READY_MARKER))))
                        .build())
                .targets(List.of(new SfnStateMachine(stateMachine, SfnStateMachineProps.builder()
                        .input(RuleTargetInput.fromObject(request("inbox"))).build())))
                .build();

        CfnOutput.Builder.create(this, "StateMachineArn").value(stateMachine.getStateMachineArn()).build();
        CfnOutput.Builder.create(this, "TrainingJobRoleArn").value(trainingRole.getRoleArn()).build();
    }

    /**
     * The state machine's definition: the pipeline module's graph bound to AWS ({@link AwsBinding#definition}), the
     * one place the infrastructure takes it from.
     */
    static String definition(AwsTargets targets) {
        return Json.compact(AwsBinding.definition(targets));
    }

    /**
     * What the definition calls: the step runner, the training job (the project's image, the training role, spot
     * capacity), the Serving stack's endpoint and model role with its guardrails, the Edge stack's function and
     * alias, and the SSM parameter the Serving stack deploys from. Resources outside this stack are named as their
     * stacks name them, so the definition needs no reference into them but the model role's ARN.
     */
    static AwsTargets targets(InfraSettings settings, String stepRunnerArn, String mnistHome, String trainingRoleArn,
            String modelRoleArn) {
        InfraSettings.Names names = settings.names();
        return new AwsTargets(stepRunnerArn, mnistHome,
                new AwsTargets.Training(settings.image(), trainingRoleArn, TRAINING_INSTANCE_TYPE, TRAINING_VOLUME_GB,
                        TRAINING_MAX_RUNTIME_SECONDS, TRAINING_MAX_WAIT_SECONDS),
                new AwsTargets.Endpoint(names.endpoint(), names.variant(), settings.image(), modelRoleArn,
                        settings.instanceType(), settings.minInstances(),
                        Guardrails.canary(List.of(names.endpoint5xxAlarm(), names.endpointLatencyAlarm()))),
                new AwsTargets.Function(names.function(), names.alias()), names.modelParameter());
    }

    private static String mnistHome(IBucket artifacts, String home) {
        return "s3://" + artifacts.getBucketName() + "/" + home;
    }

    /** A run's input: the pipeline's own request record with every default written out, and why it started. */
    static Map<String, Object> request(String reason) {
        RetrainRequest defaults = RetrainRequest.defaults();
        RetrainRequest request = new RetrainRequest(defaults.sources(), defaults.inbox(), reason, false,
                defaults.mode(), defaults.fallbackToFull(), defaults.minNewImages(), defaults.replayRatio(),
                defaults.incrementalEpochs(), defaults.learningRateScale(), defaults.holdoutFraction(),
                defaults.tolerancePoints(), defaults.maxQuarantineFraction(), defaults.alias(), defaults.seed());
        return Map.of("request", Json.mapper().convertValue(request, new TypeReference<Map<String, Object>>() {}));
    }

    /**
     * What {@code arn:aws:states:::sagemaker:createTrainingJob.sync} needs: create, describe and stop jobs named
     * {@code mnist-*}, the managed EventBridge rule that reports their completion, and passing exactly the
     * training role, to SageMaker only.
     */
    private void trainingPermissions(Role role, Role training) {
        role.addToPolicy(Iam.allow(List.of("sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob", "sagemaker:AddTags"), List.of(formatArn(ArnComponents.builder()
                        .service("sagemaker").resource("training-job").resourceName(TRAINING_JOB_PREFIX + "*")
                        .build()))));
        role.addToPolicy(Iam.allow(List.of("events:PutTargets", "events:PutRule", "events:DescribeRule"),
                List.of(formatArn(ArnComponents.builder().service("events").resource("rule")
                        .resourceName(SAGEMAKER_SYNC_RULE).build()))));
        passToSageMaker(role, training);
    }

    /**
     * What the deploy states call, each on the one resource it touches: SageMaker models and endpoint configs named
     * {@code mnist-*} and the endpoint itself (moved back to any config on a rollback); the prediction function (its configuration, versions and alias); the
     * production model's parameter; and passing exactly the serving model's role, to SageMaker only.
     */
    private void deployPermissions(Role role, InfraSettings settings, Role modelRole) {
        InfraSettings.Names names = settings.names();
        String endpoint = sageMaker("endpoint", names.endpoint());
        String configs = sageMaker("endpoint-config", TRAINING_JOB_PREFIX + "*");
        role.addToPolicy(Iam.allow(List.of("sagemaker:CreateModel"), List.of(sageMaker("model", TRAINING_JOB_PREFIX + "*"))));
        role.addToPolicy(Iam.allow(List.of("sagemaker:CreateEndpointConfig"), List.of(configs)));
        // UpdateEndpoint needs both the endpoint and the config it moves to. Forward, that is a config this state
        // machine created (mnist-*); a rollback restores whatever config the endpoint ran before, which may be the
        // Serving stack's own, named by CloudFormation (EndpointConfig-...), a name this stack cannot know without
        // an export that would block every Serving redeploy. The endpoint, named exactly, bounds the grant.
        role.addToPolicy(Iam.allow(List.of("sagemaker:UpdateEndpoint"), List.of(endpoint,
                sageMaker("endpoint-config", "*"))));
        role.addToPolicy(Iam.allow(List.of("sagemaker:DescribeEndpoint"), List.of(endpoint)));
        passToSageMaker(role, modelRole);
        String function = formatArn(ArnComponents.builder().service("lambda").resource("function")
                .resourceName(names.function()).arnFormat(ArnFormat.COLON_RESOURCE_NAME).build());
        role.addToPolicy(Iam.allow(List.of("lambda:UpdateFunctionConfiguration", "lambda:PublishVersion"),
                List.of(function)));
        role.addToPolicy(Iam.allow(List.of("lambda:GetFunctionConfiguration"), List.of(function, function + ":*")));
        role.addToPolicy(Iam.allow(List.of("lambda:GetAlias", "lambda:UpdateAlias"),
                List.of(function, function + ":" + names.alias())));
        role.addToPolicy(Iam.allow(List.of("ssm:PutParameter"), List.of(formatArn(ArnComponents.builder()
                .service("ssm").resource("parameter").resourceName(names.modelParameter().replaceFirst("^/", ""))
                .build()))));
    }

    private String sageMaker(String type, String name) {
        return formatArn(ArnComponents.builder().service("sagemaker").resource(type).resourceName(name).build());
    }

    private static String sageMakerWildcard(String type) {
        return "Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:" + type + "/"
                + TRAINING_JOB_PREFIX + "*";
    }

    /** {@code iam:PassRole} on exactly {@code passed}, and only to SageMaker. */
    private static void passToSageMaker(Role role, Role passed) {
        role.addToPolicy(PolicyStatement.Builder.create().effect(Effect.ALLOW)
                .actions(List.of("iam:PassRole"))
                .resources(List.of(passed.getRoleArn()))
                .conditions(Map.of("StringEquals", Map.of("iam:PassedToService", "sagemaker.amazonaws.com")))
                .build());
    }


    public StateMachine stateMachine() {
        return stateMachine;
    }

    public DockerImageFunction stepRunner() {
        return stepRunner;
    }

    public Role trainingRole() {
        return trainingRole;
    }

    public Role stateMachineRole() {
        return stateMachineRole;
    }

    public Rule schedule() {
        return schedule;
    }

    public Rule inbox() {
        return inbox;
    }
}
