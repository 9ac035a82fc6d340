package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class EdgeStackTest {
    private static Template edge;

    @BeforeAll
    static void synthesize() {
        Synth synth = Synth.shared();
        edge = synth.template(synth.stacks.edge());
    }

    @Test
    void functionRunsTheLambdaModulesHandlerOnJava25WithSnapStartOnPublishedVersions() throws Exception {
        edge.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
                "FunctionName", "mnist-pipeline-predict",
                "Runtime", "java25",
                "Handler", EdgeStack.HANDLER,
                "Architectures", List.of("x86_64"),
                "SnapStart", Map.of("ApplyOn", "PublishedVersions"))));
        // The handler string names a class of the lambda module, with the method RequestStreamHandler defines.
        Class<?> handler = Class.forName(EdgeStack.HANDLER.substring(0, EdgeStack.HANDLER.indexOf("::")));
        assertThat(handler.getMethod("handleRequest", java.io.InputStream.class, java.io.OutputStream.class,
                com.amazonaws.services.lambda.runtime.Context.class)).isNotNull();
    }

    @Test
    void theAliasPointsAtAPublishedVersionOfTheSnapStartFunction() {
        String function = onlyLogicalId("AWS::Lambda::Function", Map.of("FunctionName", "mnist-pipeline-predict"));
        String version = onlyLogicalId("AWS::Lambda::Version", Map.of("FunctionName", Map.of("Ref", function)));
        edge.hasResourceProperties("AWS::Lambda::Alias", Map.of(
                "Name", "live",
                "FunctionName", Map.of("Ref", function),
                "FunctionVersion", Map.of("Fn::GetAtt", List.of(version, "Version"))));
    }

    @Test
    void theFunctionUrlIsOnTheAliasWithIamAuthAndCloudFrontSignsThroughOneOriginAccessControl() {
        edge.hasResourceProperties("AWS::Lambda::Url", Map.of(
                "AuthType", "AWS_IAM", "Qualifier", "live", "TargetFunctionArn", Match.anyValue()));
        assertThat(edge.findResources("AWS::CloudFront::OriginAccessControl")).hasSize(1);
        edge.hasResourceProperties("AWS::CloudFront::OriginAccessControl", Map.of("OriginAccessControlConfig",
                Match.objectLike(Map.of("OriginAccessControlOriginType", "lambda", "SigningBehavior", "always"))));
        edge.hasResourceProperties("AWS::Lambda::Permission", Match.objectLike(Map.of(
                "Action", "lambda:InvokeFunctionUrl", "Principal", "cloudfront.amazonaws.com")));
        // Nobody else may call the URL: no permission for any other principal on it.
        for (Object permission : edge.findResources("AWS::Lambda::Permission").values()) {
            String p = String.valueOf(permission);
            if (p.contains("InvokeFunctionUrl")) {
                assertThat(p).contains("Principal=cloudfront.amazonaws.com").contains("SourceArn=");
            }
        }
    }

    @Test
    void predictionsAreCachedAndEverythingElseIncludingPostIsPassedThroughUncached() {
        String cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"; // CloudFront's managed CachingDisabled
        Capture predictionsPolicy = new Capture();
        edge.hasResourceProperties("AWS::CloudFront::Distribution", Map.of("DistributionConfig", Match.objectLike(Map.of(
                "DefaultCacheBehavior", Match.objectLike(Map.of(
                        "AllowedMethods", Match.arrayWith(List.of("POST")),
                        "CachePolicyId", cachingDisabled,
                        "ViewerProtocolPolicy", "redirect-to-https")),
                "CacheBehaviors", List.of(Match.objectLike(Map.of(
                        "PathPattern", "/predictions/*",
                        "AllowedMethods", List.of("GET", "HEAD", "OPTIONS"),
                        "CachedMethods", List.of("GET", "HEAD"),
                        "CachePolicyId", Map.of("Ref", predictionsPolicy))))))));
        Object keyParts = Match.objectLike(Map.of(
                "QueryStringsConfig", Map.of("QueryStringBehavior", "none"),
                "HeadersConfig", Map.of("HeaderBehavior", "none"),
                "CookiesConfig", Map.of("CookieBehavior", "none")));
        Object config = Match.objectLike(Map.of("MinTTL", 0, "MaxTTL", 86_400,
                "ParametersInCacheKeyAndForwardedToOrigin", keyParts));
        edge.hasResourceProperties("AWS::CloudFront::CachePolicy", Map.of("CachePolicyConfig", config));
        assertThat(edge.findResources("AWS::CloudFront::CachePolicy")).containsKey(predictionsPolicy.asString());
    }

    @Test
    void theDrawingPageAndItsSignedPostsTakeTheDefaultBehaviourUncachedWithTheViewersHeadersThroughTheAccessControl() {
        String allViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac"; // managed AllViewerExceptHostHeader
        Capture origin = new Capture();
        Capture behaviours = new Capture();
        edge.hasResourceProperties("AWS::CloudFront::Distribution", Map.of("DistributionConfig", Match.objectLike(Map.of(
                "DefaultCacheBehavior", Match.objectLike(Map.of(
                        "AllowedMethods", Match.arrayWith(List.of("GET", "HEAD", "POST")),
                        "CachePolicyId", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", // CachingDisabled
                        "OriginRequestPolicyId", allViewerExceptHost,
                        "TargetOriginId", origin)),
                "CacheBehaviors", behaviours,
                "Origins", List.of(Match.objectLike(Map.of(
                        "OriginAccessControlId", Match.objectLike(Map.of("Fn::GetAtt", Match.anyValue())))))))));
        // The one origin is the function URL: every behaviour, the default included, signs through the access control.
        String distribution = String.valueOf(edge.findResources("AWS::CloudFront::Distribution"));
        assertThat(distribution).contains("Id=" + origin.asString());
        // No other behaviour takes the page or its POSTs away from the default one: CloudFront matches path patterns
        // (* any characters, ? one; the leading slash optional) before falling back to the default behaviour.
        for (Object b : behaviours.asArray()) {
            @SuppressWarnings("unchecked") String pattern = String.valueOf(((Map<String, Object>) b).get("PathPattern"));
            String regex = "/?" + pattern.replaceFirst("^/", "").replace(".", "\\.").replace("?", ".").replace("*", ".*");
            for (String path : List.of("/", "/invocations", "/ping")) {
                assertThat(path.matches(regex)).as(pattern + " must not match " + path).isFalse();
            }
        }
    }

    @Test
    void theFunctionRunsWithTheEnvironmentItsZipCarriesAndThatNamesTheZipsOwnNatives() throws Exception {
        Map<String, String> carried = FunctionZip.environment(Synth.lambdaZip());
        assertThat(carried).containsKey("JAVA_TOOL_OPTIONS");
        Capture variables = new Capture();
        edge.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
                "FunctionName", "mnist-pipeline-predict", "Environment", Map.of("Variables", variables))));
        assertThat(variables.asObject()).containsAllEntriesOf(carried).containsKeys("MNIST_HOME", "MNIST_MODEL_ALIAS");

        String nativePath = carried.get("JAVA_TOOL_OPTIONS").replaceAll(".*-Donnxruntime\\.native\\.path=(\\S+).*", "$1");
        assertThat(nativePath).startsWith("/var/task/");
        String folder = nativePath.substring("/var/task/".length());
        try (ZipFile zip = new ZipFile(Synth.lambdaZip().toFile())) {
            assertThat(zip.getEntry(folder + "/libonnxruntime.so")).isNotNull();
            assertThat(zip.getEntry(folder + "/libonnxruntime4j_jni.so")).isNotNull();
            // Nothing left for ONNX Runtime to extract: its jar in lib/ holds classes only.
            List<String> jarsWithNatives = new ArrayList<>();
            for (var e : Collections.list(zip.entries())) {
                if (e.getName().startsWith("lib/onnxruntime")) {
                    try (var jar = new ZipInputStream(zip.getInputStream(e))) {
                        for (var inner = jar.getNextEntry(); inner != null; inner = jar.getNextEntry()) {
                            if (inner.getName().startsWith("ai/onnxruntime/native/") && !inner.isDirectory()) {
                                jarsWithNatives.add(e.getName() + "!" + inner.getName());
                            }
                        }
                    }
                }
            }
            assertThat(jarsWithNatives).isEmpty();
        }
    }

    @Test
    void newBatchObjectsInvokeTheAliasForEveryInputSuffixAndNeverForTheOutputSuffix() {
        Capture configurations = new Capture();
        edge.hasResourceProperties("Custom::S3BucketNotifications", Map.of(
                "NotificationConfiguration", Map.of("LambdaFunctionConfigurations", configurations),
                "BucketName", Match.anyValue(), "ServiceToken", Match.anyValue(), "Managed", Match.anyValue()));
        String alias = onlyLogicalId("AWS::Lambda::Alias", Map.of("Name", "live"));
        List<String> suffixes = new ArrayList<>();
        for (Object c : configurations.asArray()) {
            @SuppressWarnings("unchecked") Map<String, Object> config = (Map<String, Object>) c;
            assertThat(config.get("Events")).isEqualTo(List.of("s3:ObjectCreated:*"));
            assertThat(config.get("LambdaFunctionArn")).isEqualTo(Map.of("Ref", alias));
            String filter = String.valueOf(config.get("Filter"));
            assertThat(filter).doesNotContain("prefix");
            suffixes.add(filter.replaceAll(".*Value=([^}]*)}.*", "$1"));
        }
        assertThat(suffixes).containsExactlyInAnyOrderElementsOf(EdgeStack.BATCH_SUFFIXES);
        for (String output : List.of("batch/t10k.csv" + EdgeStack.OUTPUT_SUFFIX, "x.ndjson" + EdgeStack.OUTPUT_SUFFIX,
                "run/data.jsonl" + EdgeStack.OUTPUT_SUFFIX, "a" + EdgeStack.OUTPUT_SUFFIX)) {
            assertThat(suffixes).noneMatch(output::endsWith);
        }
    }

    @Test
    void theFunctionRoleReadsBatchInputsAndTheRegistryAndWritesOnlyPredictionOutputs() {
        Map<String, Map<String, Object>> roles = edge.findResources("AWS::IAM::Role",
                Map.of("Properties", Match.objectLike(Map.of("Description", "mnist-pipeline prediction function"))));
        assertThat(roles).hasSize(1);
        String role = String.valueOf(roles.values().iterator().next());
        assertThat(role).doesNotContain("ManagedPolicyArns");
        edge.hasResourceProperties("AWS::IAM::Role", Match.objectLike(Map.of(
                "Description", "mnist-pipeline prediction function",
                "Policies", List.of(Map.of("PolicyName", "predict", "PolicyDocument", Match.objectLike(Map.of(
                        "Statement", Match.arrayWith(List.of(
                                Match.objectLike(Map.of("Action", "s3:PutObject", "Resource", Map.of("Fn::Join",
                                        List.of("", List.of(Match.objectLike(Map.of("Fn::GetAtt", Match.anyValue())),
                                                "/*" + EdgeStack.OUTPUT_SUFFIX))))))))))))));
        assertThat(role).doesNotContain("s3:*").doesNotContain("s3:DeleteObject");
        // Listing only under the registry, so that a missing alias (a fresh deployment) reads as absent, not denied.
        edge.hasResourceProperties("AWS::IAM::Role", Match.objectLike(Map.of(
                "Description", "mnist-pipeline prediction function",
                "Policies", List.of(Map.of("PolicyName", "predict", "PolicyDocument", Match.objectLike(Map.of(
                        "Statement", Match.arrayWith(List.of(Match.objectLike(Map.of("Action", "s3:ListBucket",
                                "Condition", Map.of("StringLike", Map.of("s3:prefix",
                                        List.of("mnist/" + EdgeStack.REGISTRY_PREFIX + "/*"))))))))))))));
    }

    private static String onlyLogicalId(String type, Map<String, Object> properties) {
        Map<String, Map<String, Object>> found = edge.findResources(type,
                Map.of("Properties", Match.objectLike(properties)));
        assertThat(found).as(type + " " + properties).hasSize(1);
        return found.keySet().iterator().next();
    }
}
