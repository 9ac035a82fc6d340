package org.mnistpipeline.infra;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.constructs.Construct;

/**
 * Alarms and the dashboard, over metrics named by the fixed names in {@link InfraSettings.Names}, so this stack
 * depends on no other and is deployed first: the serving stack's endpoint names its two alarms as the
 * guardrails that roll a blue/green deployment back, and those alarms must exist before the endpoint does.
 * Every alarm notifies one SNS topic (KMS-encrypted with a key CloudWatch may use, SSL only).
 */
public final class ObservabilityStack extends Stack {
    /** The latency alarm's threshold: 4x the p99 the server measured at its peak (12.2 ms at c=64), so load alone does not trip it. */
    public static final double LATENCY_ALARM_MS = 50;
    /** Share of 5xx answers, in percent of invocations over one minute, that rolls a deployment back. */
    public static final double ERROR_RATE_ALARM_PERCENT = 1;

    private final Topic topic;
    private final Alarm endpoint5xx;
    private final Alarm endpointLatency;
    private final Alarm lambdaErrors;
    private final Alarm lambdaThrottles;
    private final Alarm pipelineFailures;

    public ObservabilityStack(Construct scope, String id, StackProps props, InfraSettings settings) {
        super(scope, id, props);
        InfraSettings.Names names = settings.names();

        Key key = Key.Builder.create(this, "AlarmTopicKey")
                .description("Encrypts the mnist-pipeline alarm topic; CloudWatch may use it to publish")
                .enableKeyRotation(true)
                .build();
        // CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key; this key lets them.
        key.grant(new ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
        topic = Topic.Builder.create(this, "Alarms")
                .displayName("mnist-pipeline alarms")
                .masterKey(key)
                .enforceSsl(true)
                .build();
        if (settings.alarmEmail() != null) {
            topic.addSubscription(new EmailSubscription(settings.alarmEmail()));
        }

        Map<String, String> variant = Map.of("EndpointName", names.endpoint(), "VariantName", names.variant());
        Metric invocations = sageMaker("Invocations", variant, "Sum");
        Metric errors5xx = sageMaker("Invocation5XXErrors", variant, "Sum");
        Metric latencyP99 = sageMaker("ModelLatency", variant, "p99"); // microseconds
        MathExpression errorRate = MathExpression.Builder.create()
                .expression("IF(inv > 0, 100 * err / inv, 0)")
                .usingMetrics(Map.of("inv", invocations, "err", errors5xx))
                .label("5xx % of invocations")
                .period(Duration.minutes(1))
                .build();
        endpoint5xx = alarm("Endpoint5xx", names.endpoint5xxAlarm(), errorRate, ERROR_RATE_ALARM_PERCENT, 1,
                "More than 1 % of the endpoint's answers were 5xx in a minute: rolls a blue/green deployment back");
        endpointLatency = alarm("EndpointLatency", names.endpointLatencyAlarm(), latencyP99, LATENCY_ALARM_MS * 1000, 2,
                "Endpoint p99 model latency over " + (int) LATENCY_ALARM_MS + " ms for 2 minutes: rolls a blue/green"
                        + " deployment back");

        Map<String, String> function = Map.of("FunctionName", names.function());
        lambdaErrors = alarm("LambdaErrors", names.function() + "-errors", lambdaMetric("Errors", function), 1, 1,
                "The prediction function failed an invocation (not a 4xx answer: an error Lambda counts)");
        lambdaThrottles = alarm("LambdaThrottles", names.function() + "-throttles", lambdaMetric("Throttles", function),
                1, 1, "The prediction function was throttled: raise reserved concurrency or the account limit");

        String stateMachineArn = Stack.of(this).formatArn(ArnComponents.builder()
                .service("states").resource("stateMachine").resourceName(names.stateMachine())
                .arnFormat(ArnFormat.COLON_RESOURCE_NAME).build());
        Metric failed = Metric.Builder.create().namespace("AWS/States").metricName("ExecutionsFailed")
                .dimensionsMap(Map.of("StateMachineArn", stateMachineArn)).statistic("Sum")
                .period(Duration.minutes(5)).build();
        pipelineFailures = alarm("PipelineFailures", names.stateMachine() + "-failed", failed, 1, 1,
                "A retraining run failed; the production model was not changed (only promote changes it)");

        Metric timedOut = Metric.Builder.create().namespace("AWS/States").metricName("ExecutionsTimedOut")
                .dimensionsMap(Map.of("StateMachineArn", stateMachineArn)).statistic("Sum")
                .period(Duration.minutes(5)).build();
        Dashboard.Builder.create(this, "Dashboard")
                .dashboardName("mnist-pipeline")
                .widgets(List.of(
                        List.of(graph("Endpoint invocations and 5xx", invocations, errors5xx),
                                graph("Endpoint p99 model latency (µs)", latencyP99),
                                graph("Endpoint instances' invocations per instance",
                                        sageMaker("InvocationsPerInstance", variant, "Sum"))),
                        List.of(graph("Function invocations, errors, throttles", lambdaMetric("Invocations", function),
                                        lambdaMetric("Errors", function), lambdaMetric("Throttles", function)),
                                graph("Function duration p99 (ms)", Metric.Builder.create().namespace("AWS/Lambda")
                                        .metricName("Duration").dimensionsMap(function).statistic("p99")
                                        .period(Duration.minutes(1)).build()),
                                graph("Retraining runs failed / timed out", failed, timedOut))))
                .build();
    }

    private Alarm alarm(String id, String name, IMetric metric, double threshold, int periods, String description) {
        Alarm alarm = Alarm.Builder.create(this, id)
                .alarmName(name)
                .alarmDescription(description)
                .metric(metric)
                .threshold(threshold)
                .evaluationPeriods(periods)
                .datapointsToAlarm(periods)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                // No traffic is not an outage: an idle endpoint or function must not roll back or page anyone.
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();
        alarm.addAlarmAction(new SnsAction(topic));
        return alarm;
    }

    private static Metric sageMaker(String name, Map<String, String> dimensions, String statistic) {
        return Metric.Builder.create().namespace("AWS/SageMaker").metricName(name).dimensionsMap(dimensions)
                .statistic(statistic).period(Duration.minutes(1)).build();
    }

    private static Metric lambdaMetric(String name, Map<String, String> dimensions) {
        return Metric.Builder.create().namespace("AWS/Lambda").metricName(name).dimensionsMap(dimensions)
                .statistic("Sum").period(Duration.minutes(5)).build();
    }

    private static GraphWidget graph(String title, IMetric... metrics) {
        return GraphWidget.Builder.create().title(title).left(List.of(metrics)).width(8).build();
    }

    public Topic topic() {
        return topic;
    }

    /** The alarms whose names the endpoint's auto-rollback watches. */
    public List<Alarm> guardrailAlarms() {
        return List.of(endpoint5xx, endpointLatency);
    }

    public List<Alarm> alarms() {
        return List.of(endpoint5xx, endpointLatency, lambdaErrors, lambdaThrottles, pipelineFailures);
    }
}
