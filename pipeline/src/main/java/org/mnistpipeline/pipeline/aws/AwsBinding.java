package org.mnistpipeline.pipeline.aws;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RetrainGraph;
import org.mnistpipeline.pipeline.StateMachineDefinition;
import org.mnistpipeline.pipeline.graph.AslBinding;
import org.mnistpipeline.pipeline.graph.Graph;
import org.mnistpipeline.pipeline.graph.State.Task;

/**
 * The retraining graph bound to AWS: what the Pipeline stack deploys and what the CLI module's
 * {@code AwsBindingExecutionTest} executes. The graph decides every transition; this binding adds only:
 *
 * <ul>
 *   <li><b>light steps</b> on the step-runner function ({@link AslBinding#oneResource});</li>
 *   <li><b>one run at a time</b>, before the first step: the execution lists its state machine's running
 *       executions and ends ({@value #BUSY}) unless it is the only one;</li>
 *   <li><b>{@code train}</b> as a SageMaker training job ({@code createTrainingJob.sync}) on managed spot capacity
 *       with checkpoints, between two step-runner states: {@value #STAGE} (the plan, computed once, staged as
 *       channels and hyperparameters under a name new to each attempt) and {@value #COLLECT} (the job's artefact,
 *       verified, as the train step's output);</li>
 *   <li><b>deploy</b> after {@code promote}: the version packaged for SageMaker; {@code CreateModel},
 *       {@code CreateEndpointConfig}, {@code UpdateEndpoint} with the guardrails, then waiting until the endpoint
 *       is in service <em>on the new config</em> (a guardrail rollback leaves it in service on the old one);
 *       the prediction function's configuration pinned to the version, waited for, published, waited for
 *       (SnapStart) and its alias moved; the production model's SSM parameter written last;</li>
 *   <li><b>a failed rollout</b> undoes what it did in reverse (the function's alias, the endpoint's config) and
 *       rolls the registry's alias back through the registry ({@code rollback} step), then fails the execution
 *       ({@value #ROLLOUT_FAILED}).</li>
 * </ul>
 */
public final class AwsBinding implements AslBinding {
    public static final String CHECK_RUNNING = "one run at a time: list running executions";
    public static final String ONLY_RUN = "one run at a time?";
    public static final String BUSY = "another run is in progress";
    public static final String STAGE = "train: stage job";
    public static final String COLLECT = "train: collect artefact";
    public static final String ROLLOUT_FAILED = "rollout failed";
    public static final String ROLLBACK_FAILED = "rollback failed";
    static final String TRAINING_JOB = "arn:aws:states:::sagemaker:createTrainingJob.sync";
    private static final String SDK = "arn:aws:states:::aws-sdk:";

    // The deployment's states, in the order they run.
    static final String PACKAGE = "deploy: package model";
    static final String READ_ENDPOINT = "deploy: read endpoint";
    static final String CREATE_MODEL = "deploy: create model";
    static final String CREATE_CONFIG = "deploy: create endpoint config";
    static final String UPDATE_ENDPOINT = "deploy: update endpoint";
    static final String WAIT_ENDPOINT = "deploy: wait for endpoint";
    static final String CHECK_ENDPOINT = "deploy: check endpoint";
    static final String ENDPOINT_UPDATED = "deploy: endpoint on the new config?";
    static final String ENDPOINT_NOT_UPDATED = "deploy: endpoint not updated";
    static final String READ_FUNCTION = "deploy: read function";
    static final String READ_ALIAS = "deploy: read alias";
    static final String UPDATE_FUNCTION = "deploy: update function";
    static final String WAIT_FUNCTION = "deploy: wait for function";
    static final String CHECK_FUNCTION = "deploy: check function";
    static final String FUNCTION_UPDATED = "deploy: function updated?";
    static final String FUNCTION_NOT_UPDATED = "deploy: function not updated";
    static final String PUBLISH = "deploy: publish version";
    static final String WAIT_VERSION = "deploy: wait for version";
    static final String CHECK_VERSION = "deploy: check version";
    static final String VERSION_ACTIVE = "deploy: version active?";
    static final String VERSION_FAILED = "deploy: version failed";
    static final String UPDATE_ALIAS = "deploy: update alias";
    static final String RECORD_MODEL = "deploy: record production model";
    static final String RESTORE_ALIAS = "rollback: function alias";
    static final String RESTORE_ENDPOINT = "rollback: endpoint";
    static final String ROLLBACK = "rollback: registry";

    private final Graph graph;
    private final AwsTargets targets;
    private final AslBinding stepRunner;

    public AwsBinding(Graph graph, AwsTargets targets) {
        this.graph = graph;
        this.targets = targets;
        this.stepRunner = AslBinding.oneResource(targets.stepRunner());
    }

    /** The retraining graph bound to {@code targets}, as the state machine's definition. */
    public static ObjectNode definition(AwsTargets targets) {
        Graph graph = RetrainGraph.definition();
        return StateMachineDefinition.asl(graph, new AwsBinding(graph, targets));
    }

    @Override
    public ObjectNode task(String stateName, Task task) {
        return "train".equals(task.step()) ? trainingJob() : stepRunner.task(stateName, task);
    }

    @Override
    public Optional<Splice> before(String stateName) {
        if (stateName.equals(graph.startAt())) {
            return Optional.of(oneRunAtATime());
        }
        if (stateName.equals("train")) {
            Task train = graph.task("train");
            return Optional.of(splice(STAGE, step(STAGE, "stage-training", "$.trainingJob", train)));
        }
        return Optional.empty();
    }

    @Override
    public Optional<Splice> after(String stateName) {
        if (stateName.equals("train")) {
            return Optional.of(splice(COLLECT, step(COLLECT, "collect-training", "$.train", graph.task("train"))));
        }
        if (stateName.equals("promote")) {
            return Optional.of(deploy());
        }
        return Optional.empty();
    }

    /** A step-runner state running {@code step}, retried and caught as the graph's {@code like} is. */
    private ObjectNode step(String name, String step, String resultPath, Task like) {
        return StateMachineDefinition.taskState(name, new Task(step, resultPath, Splice.CONTINUE, like.retry(),
                like.catches()), stepRunner);
    }

    private static Splice splice(String name, ObjectNode state) {
        SequencedMap<String, ObjectNode> states = new LinkedHashMap<>();
        states.put(name, state);
        return new Splice(name, states);
    }

    /**
     * Only a lone execution proceeds. Step Functions itself knows which executions are running, and nothing is held
     * that an aborted or timed-out execution could leave behind, so this needs no lease (and no release on every
     * way out). Two executions started in the same instant both see two and both end; the next schedule, or a later
     * inbox marker, picks their work up, since a run reads the whole inbox.
     */
    private Splice oneRunAtATime() {
        SequencedMap<String, ObjectNode> s = new LinkedHashMap<>();
        ObjectNode list = sdk("sfn:listExecutions");
        list.putObject("Parameters").put("StateMachineArn.$", "$$.StateMachine.Id").put("StatusFilter", "RUNNING")
                .put("MaxResults", 2);
        list.putObject("ResultSelector").put("running.$", "States.ArrayLength($.Executions)");
        list.put("ResultPath", "$.concurrency");
        catchAll(list, "$.error", RetrainGraph.FAILED_STATE);
        list.put("Next", ONLY_RUN);
        s.put(CHECK_RUNNING, list);
        ObjectNode choice = state("Choice");
        choice.putArray("Choices").addObject().put("Variable", "$.concurrency.running").put("NumericGreaterThan", 1)
                .put("Next", BUSY);
        choice.put("Default", Splice.CONTINUE);
        s.put(ONLY_RUN, choice);
        s.put(BUSY, state("Succeed").put("Comment", "another execution of this state machine is running"));
        return new Splice(CHECK_RUNNING, s);
    }

    /** {@code train}: the staged plan as a SageMaker training job, waited for; the job's name and artefact kept. */
    private ObjectNode trainingJob() {
        AwsTargets.Training t = targets.training();
        ObjectNode task = Json.mapper().createObjectNode();
        task.put("Resource", TRAINING_JOB);
        ObjectNode p = task.putObject("Parameters");
        p.put("TrainingJobName.$", "$.trainingJob.jobName");
        p.putObject("AlgorithmSpecification").put("TrainingImage", t.image()).put("TrainingInputMode", "File");
        p.put("RoleArn", t.role());
        p.put("HyperParameters.$", "$.trainingJob.hyperparameters");
        ArrayNode channels = p.putArray("InputDataConfig");
        for (String channel : List.of(TrainingJobs.TRAIN, TrainingJobs.CHAMPION)) {
            channels.addObject().put("ChannelName", channel).putObject("DataSource").putObject("S3DataSource")
                    .put("S3DataType", "S3Prefix").put("S3Uri.$", "$.trainingJob.channels." + channel)
                    .put("S3DataDistributionType", "FullyReplicated");
        }
        p.putObject("OutputDataConfig").put("S3OutputPath.$", "$.trainingJob.outputPath");
        p.putObject("ResourceConfig").put("InstanceType", t.instanceType()).put("InstanceCount", 1)
                .put("VolumeSizeInGB", t.volumeGb());
        p.putObject("StoppingCondition").put("MaxRuntimeInSeconds", t.maxRuntimeSeconds())
                .put("MaxWaitTimeInSeconds", t.maxWaitSeconds());
        p.put("EnableManagedSpotTraining", true);
        p.putObject("CheckpointConfig").put("S3Uri.$", "$.trainingJob.checkpoints").put("LocalPath",
                "/opt/ml/checkpoints");
        p.putObject("Environment").put("MNIST_HOME", targets.home());
        task.putObject("ResultSelector").put("jobName.$", "$.TrainingJobName")
                .put("modelArtifacts.$", "$.ModelArtifacts.S3ModelArtifacts");
        // The job's own stopping condition ends it first; this only bounds a lost completion event.
        task.put("TimeoutSeconds", t.maxWaitSeconds() + 900);
        return task;
    }

    /** After {@code promote}: the new version onto the endpoint and the function, then into the SSM parameter. */
    private Splice deploy() {
        AwsTargets.Endpoint e = targets.endpoint();
        AwsTargets.Function f = targets.function();
        SequencedMap<String, ObjectNode> s = new LinkedHashMap<>();

        ObjectNode pack = step(PACKAGE, "package-model", "$.deploy", graph.task("promote"));
        pack.putObject("ResultSelector").put("release.$", "$");
        // Nothing deployed yet: a failure here only needs the registry's alias back.
        pack.set("Catch", catchAll("$.deploy.error", ROLLBACK));
        pack.put("Next", READ_ENDPOINT);
        s.put(PACKAGE, pack);

        ObjectNode read = sdk("sagemaker:describeEndpoint");
        read.putObject("Parameters").put("EndpointName", e.name());
        read.putObject("ResultSelector").put("config.$", "$.EndpointConfigName");
        read.put("ResultPath", "$.deploy.before");
        s.put(READ_ENDPOINT, then(catches(read, ROLLBACK), CREATE_MODEL));

        ObjectNode model = sdk("sagemaker:createModel");
        ObjectNode mp = model.putObject("Parameters");
        mp.put("ModelName.$", "$.deploy.release.modelName").put("ExecutionRoleArn", e.modelRole());
        mp.putObject("PrimaryContainer").put("Image", e.image()).put("ModelDataUrl.$", "$.deploy.release.modelDataUrl");
        model.set("ResultPath", NullNode.getInstance());
        s.put(CREATE_MODEL, then(catches(model, ROLLBACK), CREATE_CONFIG));

        ObjectNode config = sdk("sagemaker:createEndpointConfig");
        ObjectNode cp = config.putObject("Parameters");
        cp.put("EndpointConfigName.$", "$.deploy.release.modelName");
        cp.putArray("ProductionVariants").addObject().put("VariantName", e.variant())
                .put("ModelName.$", "$.deploy.release.modelName").put("InstanceType", e.instanceType())
                .put("InitialInstanceCount", e.instanceCount()).put("InitialVariantWeight", 1);
        config.set("ResultPath", NullNode.getInstance());
        s.put(CREATE_CONFIG, then(catches(config, ROLLBACK), UPDATE_ENDPOINT));

        ObjectNode update = sdk("sagemaker:updateEndpoint");
        update.putObject("Parameters").put("EndpointName", e.name())
                .put("EndpointConfigName.$", "$.deploy.release.modelName")
                .set("DeploymentConfig", e.guardrails().deploymentConfig());
        update.set("ResultPath", NullNode.getInstance());
        s.put(UPDATE_ENDPOINT, then(catches(update, ROLLBACK), WAIT_ENDPOINT));

        s.put(WAIT_ENDPOINT, then(state("Wait").put("Seconds", 60), CHECK_ENDPOINT));
        ObjectNode check = sdk("sagemaker:describeEndpoint");
        check.putObject("Parameters").put("EndpointName", e.name());
        check.putObject("ResultSelector").put("status.$", "$.EndpointStatus").put("config.$", "$.EndpointConfigName");
        check.put("ResultPath", "$.deploy.endpoint");
        s.put(CHECK_ENDPOINT, then(catches(check, ROLLBACK), ENDPOINT_UPDATED));
        ObjectNode updated = state("Choice");
        ArrayNode rules = updated.putArray("Choices");
        ObjectNode onNew = rules.addObject();
        ArrayNode both = onNew.putArray("And");
        both.addObject().put("Variable", "$.deploy.endpoint.status").put("StringEquals", "InService");
        both.addObject().put("Variable", "$.deploy.endpoint.config").put("StringEqualsPath", "$.deploy.release.modelName");
        onNew.put("Next", READ_FUNCTION);
        // In service on another config: the guardrails rolled the update back. Failed: it never came up.
        for (String status : List.of("InService", "Failed")) {
            rules.addObject().put("Variable", "$.deploy.endpoint.status").put("StringEquals", status)
                    .put("Next", ENDPOINT_NOT_UPDATED);
        }
        updated.put("Default", WAIT_ENDPOINT); // Updating, SystemUpdating, RollingBack: not settled yet
        s.put(ENDPOINT_UPDATED, updated);
        s.put(ENDPOINT_NOT_UPDATED, failure("States.Format('endpoint {} is {} on config {}, not on {}', '"
                + e.name() + "', $.deploy.endpoint.status, $.deploy.endpoint.config, $.deploy.release.modelName)",
                ROLLBACK));

        // From here the endpoint runs the new model: a failure puts its old config back too.
        ObjectNode readFunction = sdk("lambda:getFunctionConfiguration");
        readFunction.putObject("Parameters").put("FunctionName", f.name());
        readFunction.putObject("ResultSelector").put("variables.$", "$.Environment.Variables");
        readFunction.put("ResultPath", "$.deploy.function");
        s.put(READ_FUNCTION, then(catches(readFunction, RESTORE_ENDPOINT), READ_ALIAS));
        ObjectNode readAlias = sdk("lambda:getAlias");
        readAlias.putObject("Parameters").put("FunctionName", f.name()).put("Name", f.alias());
        readAlias.putObject("ResultSelector").put("version.$", "$.FunctionVersion");
        readAlias.put("ResultPath", "$.deploy.alias");
        s.put(READ_ALIAS, then(catches(readAlias, RESTORE_ENDPOINT), UPDATE_FUNCTION));
        ObjectNode updateFunction = sdk("lambda:updateFunctionConfiguration");
        // The whole environment is replaced by this call: the function's own variables, plus the pinned version.
        updateFunction.putObject("Parameters").put("FunctionName", f.name()).putObject("Environment")
                .put("Variables.$", "States.JsonMerge($.deploy.function.variables,"
                        + " $.deploy.release.functionVariables, false)");
        updateFunction.set("ResultPath", NullNode.getInstance());
        retry(updateFunction, "Lambda.ResourceConflictException", 5, 6);
        s.put(UPDATE_FUNCTION, then(catches(updateFunction, RESTORE_ENDPOINT), WAIT_FUNCTION));
        s.put(WAIT_FUNCTION, then(state("Wait").put("Seconds", 5), CHECK_FUNCTION));
        ObjectNode checkFunction = sdk("lambda:getFunctionConfiguration");
        checkFunction.putObject("Parameters").put("FunctionName", f.name());
        checkFunction.putObject("ResultSelector").put("status.$", "$.LastUpdateStatus");
        checkFunction.put("ResultPath", "$.deploy.update");
        s.put(CHECK_FUNCTION, then(catches(checkFunction, RESTORE_ENDPOINT), FUNCTION_UPDATED));
        s.put(FUNCTION_UPDATED, settled("$.deploy.update.status", "Successful", PUBLISH, FUNCTION_NOT_UPDATED,
                WAIT_FUNCTION));
        s.put(FUNCTION_NOT_UPDATED, failure("States.Format('function {} did not take the new configuration ({})', '"
                + f.name() + "', $.deploy.update.status)", RESTORE_ENDPOINT));
        ObjectNode publish = sdk("lambda:publishVersion");
        publish.putObject("Parameters").put("FunctionName", f.name());
        publish.putObject("ResultSelector").put("version.$", "$.Version");
        publish.put("ResultPath", "$.deploy.published");
        retry(publish, "Lambda.ResourceConflictException", 5, 6);
        s.put(PUBLISH, then(catches(publish, RESTORE_ENDPOINT), WAIT_VERSION));
        // A SnapStart version is Pending until its snapshot is taken, with the new model loaded at init.
        s.put(WAIT_VERSION, then(state("Wait").put("Seconds", 10), CHECK_VERSION));
        ObjectNode checkVersion = sdk("lambda:getFunctionConfiguration");
        checkVersion.putObject("Parameters").put("FunctionName", f.name())
                .put("Qualifier.$", "$.deploy.published.version");
        checkVersion.putObject("ResultSelector").put("state.$", "$.State");
        checkVersion.put("ResultPath", "$.deploy.version");
        s.put(CHECK_VERSION, then(catches(checkVersion, RESTORE_ENDPOINT), VERSION_ACTIVE));
        s.put(VERSION_ACTIVE, settled("$.deploy.version.state", "Active", UPDATE_ALIAS, VERSION_FAILED, WAIT_VERSION));
        s.put(VERSION_FAILED, failure("States.Format('version {} of function {} did not become active ({})',"
                + " $.deploy.published.version, '" + f.name() + "', $.deploy.version.state)", RESTORE_ENDPOINT));
        ObjectNode alias = sdk("lambda:updateAlias");
        alias.putObject("Parameters").put("FunctionName", f.name()).put("Name", f.alias())
                .put("FunctionVersion.$", "$.deploy.published.version");
        alias.set("ResultPath", NullNode.getInstance());
        s.put(UPDATE_ALIAS, then(catches(alias, RESTORE_ENDPOINT), RECORD_MODEL));
        ObjectNode parameter = sdk("ssm:putParameter");
        parameter.putObject("Parameters").put("Name", targets.modelParameter())
                .put("Value.$", "$.deploy.release.modelDataUrl").put("Type", "String").put("Overwrite", true);
        parameter.set("ResultPath", NullNode.getInstance());
        s.put(RECORD_MODEL, then(catches(parameter, RESTORE_ALIAS), Splice.CONTINUE));

        // Undo, newest first; each undo is attempted even when the one before it failed.
        ObjectNode restoreAlias = sdk("lambda:updateAlias");
        restoreAlias.putObject("Parameters").put("FunctionName", f.name()).put("Name", f.alias())
                .put("FunctionVersion.$", "$.deploy.alias.version");
        restoreAlias.set("ResultPath", NullNode.getInstance());
        restoreAlias.set("Catch", catchAll("$.deploy.aliasRollbackError", RESTORE_ENDPOINT));
        s.put(RESTORE_ALIAS, then(restoreAlias, RESTORE_ENDPOINT));
        ObjectNode restoreEndpoint = sdk("sagemaker:updateEndpoint");
        restoreEndpoint.putObject("Parameters").put("EndpointName", e.name())
                .put("EndpointConfigName.$", "$.deploy.before.config")
                .set("DeploymentConfig", e.guardrails().deploymentConfig());
        restoreEndpoint.set("ResultPath", NullNode.getInstance());
        restoreEndpoint.set("Catch", catchAll("$.deploy.endpointRollbackError", ROLLBACK));
        s.put(RESTORE_ENDPOINT, then(restoreEndpoint, ROLLBACK));
        ObjectNode rollback = step(ROLLBACK, "rollback", "$.rollback", graph.task("promote"));
        rollback.set("Catch", catchAll("$.rollbackError", ROLLBACK_FAILED));
        rollback.put("Next", ROLLOUT_FAILED);
        s.put(ROLLBACK, rollback);
        s.put(ROLLOUT_FAILED, state("Fail").put("Error", "RolloutFailed").put("Cause", "the promoted version could"
                + " not be deployed; the registry's alias was rolled back (see $.deploy.error and $.rollback)"));
        s.put(ROLLBACK_FAILED, state("Fail").put("Error", "RollbackFailed").put("Cause", "the promoted version could"
                + " not be deployed and the registry's alias could not be rolled back: run mnist models rollback"));
        return new Splice(PACKAGE, s);
    }

    private static ObjectNode state(String type) {
        return Json.mapper().createObjectNode().put("Type", type);
    }

    private static ObjectNode sdk(String serviceAction) {
        return state("Task").put("Resource", SDK + serviceAction);
    }

    private static ObjectNode then(ObjectNode state, String next) {
        return state.put("Next", next);
    }

    /** Every error to {@code next}, stored at {@code $.deploy.error}. */
    private static ObjectNode catches(ObjectNode state, String next) {
        state.set("Catch", catchAll("$.deploy.error", next));
        return state;
    }

    private static ArrayNode catchAll(String resultPath, String next) {
        ArrayNode list = Json.mapper().createArrayNode();
        list.addObject().put("ResultPath", resultPath).put("Next", next).putArray("ErrorEquals").add(Graph.ALL_ERRORS);
        return list;
    }

    private static void catchAll(ObjectNode state, String resultPath, String next) {
        state.set("Catch", catchAll(resultPath, next));
    }

    private static void retry(ObjectNode state, String error, int intervalSeconds, int attempts) {
        state.putArray("Retry").addObject().put("IntervalSeconds", intervalSeconds).put("MaxAttempts", attempts)
                .put("BackoffRate", 1.5).putArray("ErrorEquals").add(error);
    }

    /** A Choice over a status: {@code done} when it is {@code success}, {@code failed} when Failed, else {@code wait}. */
    private static ObjectNode settled(String variable, String success, String done, String failed, String wait) {
        ObjectNode choice = state("Choice");
        ArrayNode rules = choice.putArray("Choices");
        rules.addObject().put("Variable", variable).put("StringEquals", success).put("Next", done);
        rules.addObject().put("Variable", variable).put("StringEquals", "Failed").put("Next", failed);
        choice.put("Default", wait);
        return choice;
    }

    /** A Pass state that records why the rollout stops, as a caught error would be, then goes to {@code next}. */
    private static ObjectNode failure(String causeExpression, String next) {
        ObjectNode pass = state("Pass");
        pass.putObject("Parameters").put("Error", "mnist.RolloutFailed").put("Cause.$", causeExpression);
        pass.put("ResultPath", "$.deploy.error");
        return then(pass, next);
    }
}
