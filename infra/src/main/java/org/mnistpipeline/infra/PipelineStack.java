package org.mnistpipeline.infra;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.StateMachineDefinition;
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
 * whose definition is the pipeline module's own graph, the step-runner function its Task states invoke, the
 * SageMaker training-job role the train state will pass, an EventBridge schedule, and a rule that starts a run
 * when a batch in MNIST_HOME's inbox is marked ready.
 *
 * <p>Today's definition ({@link StateMachineDefinition#asl}) sends every step to one resource, the step runner.
 * The derived graph with per-step bindings replaces it through {@link #definition} alone; the roles here already
 * carry what its {@code train} state needs ({@code createTrainingJob.sync} on jobs named {@code mnist-*}, and
 * {@code iam:PassRole} on exactly the training role, to SageMaker only).
 */
public final class PipelineStack extends Stack {
    /** Training jobs the state machine may start, describe and stop: the binding names them {@code mnist-<run>-<attempt>}. */
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

    public PipelineStack(Construct scope, String id, StackProps props, InfraSettings settings, IBucket artifacts) {
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

        trainingRole = Role.Builder.create(this, "TrainingJobRole")
                .assumedBy(new ServicePrincipal("sagemaker.amazonaws.com"))
                .description("SageMaker training jobs of the retraining pipeline: read data, write model and checkpoints")
                .inlinePolicies(Map.of("train", PolicyDocument.Builder.create().statements(List.of(
                        Iam.allow(List.of("s3:GetObject"), List.of(artifacts.arnForObjects(home + "/*"))),
                        Iam.allow(List.of("s3:PutObject"), List.of(
                                artifacts.arnForObjects(home + "/" + ServingStack.MODELS_PREFIX + "/*"),
                                artifacts.arnForObjects(home + "/sagemaker/checkpoints/*"))),
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
        Nag.suppressWildcardResources(trainingRole, List.of("/" + home + "/*",
                        "/" + home + "/" + ServingStack.MODELS_PREFIX + "/*", "/" + home + "/sagemaker/checkpoints/*"),
                "a training job reads the data store under MNIST_HOME and writes only its model and checkpoints,"
                        + " whose keys SageMaker derives from the job's name");
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
        // The project's image, by digest, running one step per invocation. The image's Lambda entry point is
        // still to come (see docs/aws-deploy.md, "What is not done"); the definition below already invokes it.
        stepRunner = DockerImageFunction.Builder.create(this, "StepRunner")
                .functionName("mnist-pipeline-step")
                .description("Runs one retraining step: mnist retrain step NAME --state ... --run-id ...")
                .code(DockerImageCode.fromEcr(repository, EcrImageCodeProps.builder()
                        .tagOrDigest(image.digest())
                        .cmd(List.of("lambda-step"))
                        .build()))
                .memorySize(3008)
                .timeout(Duration.minutes(15))
                .ephemeralStorageSize(Size.gibibytes(10))
                .role(runnerRole)
                .logGroup(runnerLogs)
                .environment(Map.of("MNIST_HOME", "s3://" + artifacts.getBucketName() + "/" + home))
                .build();

        stateMachineRole = Role.Builder.create(this, "StateMachineRole")
                .assumedBy(new ServicePrincipal("states.amazonaws.com"))
                .description("The retraining state machine: invokes the step runner, runs SageMaker training jobs")
                .build();
        stateMachineRole.addToPolicy(Iam.allow(List.of("lambda:InvokeFunction"),
                List.of(stepRunner.getFunctionArn(), stepRunner.getFunctionArn() + ":*")));
        trainingPermissions(stateMachineRole, trainingRole);

        LogGroup executions = LogGroup.Builder.create(this, "ExecutionLogs")
                .logGroupName("/aws/vendedlogs/states/" + names.stateMachine())
                .retention(RetentionDays.THREE_MONTHS)
                .build();
        stateMachine = StateMachine.Builder.create(this, "Retrain")
                .stateMachineName(names.stateMachine())
                .stateMachineType(StateMachineType.STANDARD)
                .definitionBody(DefinitionBody.fromString(definition(stepRunner.getFunctionArn())))
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
        Nag.suppress(stateMachineRole, "AwsSolutions-IAM5", List.of("Resource::arn:<AWS::Partition>:sagemaker:"
                        + "<AWS::Region>:<AWS::AccountId>:training-job/" + TRAINING_JOB_PREFIX + "*"),
                "training jobs are named per run and attempt, all under the mnist- prefix");

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
     * The state machine's definition. The one place the infrastructure takes the retraining graph from: today
     * {@link StateMachineDefinition#asl} with every Task invoking {@code stepRunnerArn}. The derived graph with
     * per-step bindings (train on SageMaker, deploy states through SDK integrations) replaces this body.
     */
    static String definition(String stepRunnerArn) {
        return Json.compact(StateMachineDefinition.asl(stepRunnerArn));
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
        role.addToPolicy(PolicyStatement.Builder.create().effect(Effect.ALLOW)
                .actions(List.of("iam:PassRole"))
                .resources(List.of(training.getRoleArn()))
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
