package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class ServingStackTest {
    private static Synth synth;
    private static Template serving;
    private static Template observability;
    /** Another image digest, instance type and a serverless endpoint: what a later deploy of changed code is. */
    private static final String NEW_IMAGE = Synth.IMAGE.replace("sha256:0123", "sha256:fedc");
    private static Synth redeploy;

    @BeforeAll
    static void synthesize() {
        synth = Synth.shared();
        serving = synth.template(synth.stacks.serving());
        observability = synth.template(synth.stacks.observability());
        redeploy = Synth.of(Synth.settings().withImage(NEW_IMAGE).withInstanceType("ml.c5.xlarge")
                .withServerless(new InfraSettings.Serverless(3072, 50)));
    }

    @Test
    void endpointUpdatesAreBlueGreenCanariesRolledBackByTheTwoAlarms() {
        serving.hasResourceProperties("AWS::SageMaker::Endpoint", Map.of(
                "EndpointName", "mnist-pipeline",
                "DeploymentConfig", Map.of(
                        "BlueGreenUpdatePolicy", Match.objectLike(Map.of("TrafficRoutingConfiguration", Map.of(
                                "Type", "CANARY",
                                "CanarySize", Map.of("Type", "INSTANCE_COUNT", "Value", 1),
                                "WaitIntervalInSeconds", 600))),
                        "AutoRollbackConfiguration", Map.of("Alarms", List.of(
                                Map.of("AlarmName", Match.objectLike(Map.of("Fn::ImportValue",
                                        Match.stringLikeRegexp("MnistObservability:.*Endpoint5xx.*")))),
                                Map.of("AlarmName", Match.objectLike(Map.of("Fn::ImportValue",
                                        Match.stringLikeRegexp("MnistObservability:.*EndpointLatency.*")))))))));
        // A canary of one instance may be at most half the fleet: the fleet starts at two.
        serving.hasResourceProperties("AWS::SageMaker::EndpointConfig", Map.of("ProductionVariants", List.of(
                Match.objectLike(Map.of("VariantName", "AllTraffic", "InitialInstanceCount", 2,
                        "InstanceType", "ml.c5.large")))));
    }

    @Test
    void guardrailAlarmsWatchTheVariantsErrorRateAndP99ModelLatency() {
        Object dimensions = Match.arrayWith(List.of(
                Map.of("Name", "EndpointName", "Value", "mnist-pipeline"),
                Map.of("Name", "VariantName", "Value", "AllTraffic")));
        Object errors = Match.objectLike(Map.of("MetricStat", Match.objectLike(Map.of("Metric", Map.of(
                "Namespace", "AWS/SageMaker", "MetricName", "Invocation5XXErrors", "Dimensions", dimensions)))));
        Object rate = Match.objectLike(Map.of("Expression", "IF(inv > 0, 100 * err / inv, 0)"));
        observability.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
                "AlarmName", "mnist-pipeline-5xx",
                "Threshold", 1,
                "ComparisonOperator", "GreaterThanOrEqualToThreshold",
                "TreatMissingData", "notBreaching",
                "Metrics", Match.arrayWith(List.of(rate, errors)))));
        observability.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
                "AlarmName", "mnist-pipeline-p99-latency",
                "Namespace", "AWS/SageMaker",
                "MetricName", "ModelLatency",
                "ExtendedStatistic", "p99",
                "Threshold", 50_000, // microseconds: 50 ms
                "EvaluationPeriods", 2)));
        // Every alarm notifies the one topic.
        Map<String, Map<String, Object>> alarms = observability.findResources("AWS::CloudWatch::Alarm");
        assertThat(alarms).hasSize(5);
        alarms.values().forEach(alarm -> assertThat(String.valueOf(alarm)).contains("AlarmActions=[{Ref=Alarms"));
    }

    @Test
    void scalingTracksInvocationsPerInstanceAtTheTargetDerivedFromTheMeasuredPeak() throws Exception {
        // Re-derived here from the committed benchmark file, independently of MeasuredThroughput.
        JsonNode bench;
        try (InputStream in = getClass().getResourceAsStream("bench/http-load-2026-12-02.json")) {
            bench = new ObjectMapper().readTree(in);
        }
        double peak = 0;
        for (JsonNode row : bench.path("median")) {
            if (row.path("mode").asText().equals("batching")) {
                peak = Math.max(peak, row.path("rps").asDouble());
            }
        }
        assertThat(peak).isEqualTo(9109.1);
        double perVcpu = peak / bench.path("cpus").asInt();
        long expected = (long) Math.floor(perVcpu * 2 /* ml.c5.large */ * 0.5 /* headroom */ * 60);
        assertThat(expected).isEqualTo(273_273);

        serving.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", Map.of(
                "ServiceNamespace", "sagemaker",
                "ResourceId", "endpoint/mnist-pipeline/variant/AllTraffic",
                "ScalableDimension", "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity", 2, "MaxCapacity", 4,
                "RoleARN", Match.anyValue()));
        serving.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", Map.of(
                "PolicyType", "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration", Match.objectLike(Map.of(
                        "PredefinedMetricSpecification",
                        Map.of("PredefinedMetricType", "SageMakerVariantInvocationsPerInstance"),
                        "TargetValue", expected))));
        assertThat(synth.stacks.serving().targetInvocationsPerMinute()).isEqualTo(expected);
        // No role of our own for scaling: Application Auto Scaling's service-linked role.
        assertThat(serving.findResources("AWS::IAM::Role")).hasSize(1);
    }

    @Test
    void theModelComesFromTheParameterThePipelineWritesNeverFromALiteral() {
        Map<String, Map<String, Object>> parameters = serving.findParameters("*", Map.of(
                "Type", "AWS::SSM::Parameter::Value<String>",
                "Default", "/mnist-pipeline/production/model-data-url"));
        assertThat(parameters).hasSize(1);
        String parameter = parameters.keySet().iterator().next();
        serving.hasResourceProperties("AWS::SageMaker::Model", Map.of("PrimaryContainer", Map.of(
                "Image", Synth.IMAGE,
                "ModelDataUrl", Map.of("Ref", parameter))));
        for (Template t : List.of(serving, synth.template(synth.stacks.edge()),
                synth.template(synth.stacks.pipeline()))) {
            String json = t.toJSON().toString();
            assertThat(json).doesNotContain("model.tar.gz").doesNotContain("s3://mnist");
        }
    }

    @Test
    void aRedeployWithOtherCodeKeepsReadingTheSameProductionModel() {
        Template again = redeploy.template(redeploy.stacks.serving());
        again.hasResourceProperties("AWS::SageMaker::Model", Map.of("PrimaryContainer", Map.of(
                "Image", NEW_IMAGE,
                "ModelDataUrl", Map.of("Ref", onlyParameter(again)))));
        assertThat(again.findParameters("*", Map.of("Type", "AWS::SSM::Parameter::Value<String>",
                "Default", "/mnist-pipeline/production/model-data-url"))).hasSize(1);
        assertThat(onlyParameter(again)).isEqualTo(onlyParameter(serving));
        // The scaling target follows the instance: four vCPUs, twice ml.c5.large's.
        again.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", Match.objectLike(Map.of(
                "TargetTrackingScalingPolicyConfiguration", Match.objectLike(Map.of("TargetValue", 546_546)))));
    }

    @Test
    void aServerlessEndpointIsOnlyThereWhenAskedWithItsMemoryAndConcurrency() {
        assertThat(serving.findResources("AWS::SageMaker::Endpoint")).hasSize(1);
        assertThat(synth.stacks.serving().serverlessEndpoint()).isNull();

        Template withServerless = redeploy.template(redeploy.stacks.serving());
        assertThat(withServerless.findResources("AWS::SageMaker::Endpoint")).hasSize(2);
        withServerless.hasResourceProperties("AWS::SageMaker::EndpointConfig", Map.of("ProductionVariants", List.of(
                Match.objectLike(Map.of("ServerlessConfig", Map.of("MemorySizeInMB", 3072, "MaxConcurrency", 50))))));
        withServerless.hasResourceProperties("AWS::SageMaker::Endpoint", Match.objectLike(Map.of(
                "EndpointName", "mnist-pipeline-serverless")));
    }

    private static String onlyParameter(Template template) {
        Map<String, Map<String, Object>> found = template.findParameters("*", Map.of("Default",
                "/mnist-pipeline/production/model-data-url"));
        assertThat(found).hasSize(1);
        return found.keySet().iterator().next();
    }
}
