package org.mnistpipeline.infra;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.cloudfront.AllowedMethods;
import software.amazon.awscdk.services.cloudfront.BehaviorOptions;
import software.amazon.awscdk.services.cloudfront.CacheCookieBehavior;
import software.amazon.awscdk.services.cloudfront.CacheHeaderBehavior;
import software.amazon.awscdk.services.cloudfront.CachePolicy;
import software.amazon.awscdk.services.cloudfront.CacheQueryStringBehavior;
import software.amazon.awscdk.services.cloudfront.CachedMethods;
import software.amazon.awscdk.services.cloudfront.Distribution;
import software.amazon.awscdk.services.cloudfront.OriginRequestPolicy;
import software.amazon.awscdk.services.cloudfront.ViewerProtocolPolicy;
import software.amazon.awscdk.services.cloudfront.origins.FunctionUrlOrigin;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyDocument;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.FunctionUrl;
import software.amazon.awscdk.services.lambda.FunctionUrlAuthType;
import software.amazon.awscdk.services.lambda.FunctionUrlOptions;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.EventType;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.s3.NotificationKeyFilter;
import software.amazon.awscdk.services.s3.notifications.LambdaDestination;
import software.constructs.Construct;

/**
 * The Lambda function on the {@code java25} managed runtime with SnapStart on published versions, its {@code live}
 * alias with an IAM-authenticated function URL, CloudFront in front of that URL through one origin access control
 * ({@code /predictions/*} cached as the function's {@code Cache-Control} says; everything else, the drawing page at
 * {@code GET /} and its POSTs included, passed through uncached), and the batch-scoring bucket whose new objects
 * invoke the alias. The function runs with the environment its zip carries ({@link FunctionZip}).
 */
public final class EdgeStack extends Stack {
    /** The handler the lambda module's zip serves (PredictionHandler's RequestStreamHandler entry). */
    public static final String HANDLER = "org.mnistpipeline.lambda.PredictionHandler::handleRequest";
    /** What the function names its batch-scoring output, {@code <input key>.predictions.jsonl}, next to the input. */
    public static final String OUTPUT_SUFFIX = ".predictions.jsonl";
    /**
     * Key suffixes that invoke batch scoring: every format the function reads by name (CSV, JSON lines, NumPy, MNIST
     * IDX images), raw and gzipped, except a bare {@code .jsonl}. S3 filters cannot exclude, and a {@code .jsonl}
     * filter also matches the function's own {@code <key>.predictions.jsonl} outputs, so JSON lines come in as
     * {@code .ndjson}, {@code .jsonlines} or {@code .jsonl.gz} (the function reads all three) until the function
     * writes its outputs under a prefix of their own.
     */
    public static final List<String> BATCH_SUFFIXES = List.of(
            ".csv", ".csv.gz", ".ndjson", ".ndjson.gz", ".jsonlines", ".jsonlines.gz", ".jsonl.gz",
            ".npy", ".npy.gz", "idx3-ubyte", "idx3-ubyte.gz");
    /** The registry under MNIST_HOME, which the function reads the production model from. */
    public static final String REGISTRY_PREFIX = "registry";

    private final Function function;
    private final Alias alias;
    private final FunctionUrl url;
    private final Distribution distribution;
    private final Bucket batchBucket;

    public EdgeStack(Construct scope, String id, StackProps props, InfraSettings settings, IBucket artifacts) {
        super(scope, id, props);
        InfraSettings.Names names = settings.names();
        Bucket logs = Buckets.logs(this, "EdgeLogs");
        batchBucket = Buckets.data(this, "BatchScoring", logs, "batch-scoring/").build();

        LogGroup logGroup = LogGroup.Builder.create(this, "FunctionLogs")
                .logGroupName("/aws/lambda/" + names.function())
                .retention(RetentionDays.ONE_MONTH)
                .build();
        // Least privilege, written out: no managed policy. Reads inputs anywhere in the batch bucket, writes only
        // its own *.predictions.jsonl outputs, reads models under MNIST_HOME's registry, logs to its own group.
        Role role = Role.Builder.create(this, "FunctionRole")
                .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                .description("mnist-pipeline prediction function")
                .inlinePolicies(Map.of("predict", PolicyDocument.Builder.create().statements(List.of(
                        Iam.allow(List.of("logs:CreateLogStream", "logs:PutLogEvents"),
                                List.of(logGroup.getLogGroupArn())),
                        Iam.allow(List.of("s3:GetObject"), List.of(batchBucket.arnForObjects("*"))),
                        Iam.allow(List.of("s3:PutObject"), List.of(batchBucket.arnForObjects("*" + OUTPUT_SUFFIX))),
                        Iam.allow(List.of("s3:GetObject"), List.of(
                                artifacts.arnForObjects(settings.homePrefix() + "/" + REGISTRY_PREFIX + "/*"))),
                        // Without it a missing key (no production alias yet, on a fresh deployment) reads as
                        // 403, not 404, and init would fail instead of serving the zip's model.
                        PolicyStatement.Builder.create().effect(Effect.ALLOW).actions(List.of("s3:ListBucket"))
                                .resources(List.of(artifacts.getBucketArn()))
                                .conditions(Map.of("StringLike", Map.of("s3:prefix",
                                        List.of(settings.homePrefix() + "/" + REGISTRY_PREFIX + "/*"))))
                                .build()))
                        .build()))
                .build();
        Nag.suppressWildcardResources(role, List.of("/*", "/*" + OUTPUT_SUFFIX,
                        "/" + settings.homePrefix() + "/" + REGISTRY_PREFIX + "/*"),
                "batch inputs may have any key in the batch bucket (the notifications pick them), outputs are only"
                        + " *.predictions.jsonl, and model versions are read under the registry prefix");

        function = Function.Builder.create(this, "Predict")
                .functionName(names.function())
                .description("mnist-pipeline predictions: function URL, direct and S3 batch events (ONNX Runtime)")
                .runtime(Runtime.JAVA_25)
                .architecture(Architecture.X86_64) // the zip carries ONNX Runtime's linux-x64 natives only
                .handler(HANDLER)
                .code(Code.fromAsset(settings.lambdaZip().toString()))
                .memorySize(settings.lambdaMemoryMb())
                // Batch scoring streams whole objects; an HTTP request takes milliseconds either way.
                .timeout(Duration.minutes(5))
                // /tmp stays at the default 512 MB, the most SnapStart allows: outputs are staged there at ~250 B
                // per image, so one object may hold up to about two million images.
                .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
                .role(role)
                .logGroup(logGroup)
                .environment(environment(settings, artifacts))
                .build();
        Annotations.of(function).acknowledgeWarning("@aws-cdk/aws-lambda:snapStartRequirePublish",
                "the alias below points at currentVersion, a published version");
        alias = Alias.Builder.create(this, "Live")
                .aliasName(names.alias())
                .version(function.getCurrentVersion()) // a published version: SnapStart applies to it
                .build();
        url = alias.addFunctionUrl(FunctionUrlOptions.builder().authType(FunctionUrlAuthType.AWS_IAM).build());

        CachePolicy predictions = CachePolicy.Builder.create(this, "PredictionsCache")
                .comment("GET /predictions/{sha256}: the key is the whole URL; the function's max-age decides")
                .minTtl(Duration.seconds(0))
                .defaultTtl(Duration.seconds(0))
                .maxTtl(Duration.days(1))
                .queryStringBehavior(CacheQueryStringBehavior.none())
                .headerBehavior(CacheHeaderBehavior.none())
                .cookieBehavior(CacheCookieBehavior.none())
                .enableAcceptEncodingGzip(true)
                .build();
        var origin = FunctionUrlOrigin.withOriginAccessControl(url);
        distribution = Distribution.Builder.create(this, "Cdn")
                .comment("mnist-pipeline predictions")
                .defaultBehavior(BehaviorOptions.builder()
                        .origin(origin)
                        .viewerProtocolPolicy(ViewerProtocolPolicy.REDIRECT_TO_HTTPS)
                        .allowedMethods(AllowedMethods.ALLOW_ALL)
                        // GET / (the drawing page), POST /invocations and GET /ping. None is cached: the POSTs and
                        // /ping must never be, and a path pattern cannot single out the bare root (its leading
                        // slash is optional), so caching the page would mean trusting the function's
                        // Cache-Control on every path here. The page is one ~9 KB answer from memory, and each
                        // view is followed by at least one POST, an invocation anyway.
                        .cachePolicy(CachePolicy.CACHING_DISABLED)
                        // Every viewer header but Host (a function URL answers only to its own): the page's
                        // x-amz-content-sha256 goes to the origin with the request the access control signs.
                        .originRequestPolicy(OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER)
                        .build())
                .additionalBehaviors(Map.of("/predictions/*", BehaviorOptions.builder()
                        .origin(origin)
                        .viewerProtocolPolicy(ViewerProtocolPolicy.REDIRECT_TO_HTTPS)
                        .allowedMethods(AllowedMethods.ALLOW_GET_HEAD_OPTIONS)
                        .cachedMethods(CachedMethods.CACHE_GET_HEAD)
                        .cachePolicy(predictions)
                        .build()))
                .enableLogging(true)
                .logBucket(logs)
                .logFilePrefix("cloudfront/")
                .build();
        Nag.suppress(distribution, "AwsSolutions-CFR1",
                "a public demo of digit recognition: no country needs to be kept out");
        Nag.suppress(distribution, "AwsSolutions-CFR2", "WAF is left to the operator (a web ACL must live in"
                + " us-east-1 and costs per rule); the function URL itself accepts only CloudFront's signed requests");
        Nag.suppress(distribution, "AwsSolutions-CFR4", "the default *.cloudfront.net certificate cannot pin a"
                + " minimum TLS version; with a custom domain and ACM certificate, set TLSv1.2_2021");

        for (String suffix : BATCH_SUFFIXES) {
            batchBucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(alias),
                    NotificationKeyFilter.builder().suffix(suffix).build());
        }
        Nag.suppressNotificationsHandler(this);

        CfnOutput.Builder.create(this, "FunctionUrl").value(url.getUrl()).build();
        CfnOutput.Builder.create(this, "DistributionDomain").value(distribution.getDistributionDomainName()).build();
        CfnOutput.Builder.create(this, "BatchBucket").value(batchBucket.getBucketName()).build();
    }


    /**
     * The function's variables: the ones its zip says it runs with ({@link FunctionZip}: JVM flags, where its
     * natives are) and where its model comes from. The production model is the registry's, read at init (and so
     * in the SnapStart snapshot); the stack never names a model, so a redeploy cannot roll one back.
     */
    private static Map<String, String> environment(InfraSettings settings, IBucket artifacts) {
        Map<String, String> variables = new TreeMap<>(FunctionZip.environment(settings.lambdaZip()));
        for (var own : Map.of("MNIST_HOME", "s3://" + artifacts.getBucketName() + "/" + settings.homePrefix(),
                "MNIST_MODEL_ALIAS", "production").entrySet()) {
            if (variables.put(own.getKey(), own.getValue()) != null) {
                throw new IllegalArgumentException(FunctionZip.ENVIRONMENT + " in " + settings.lambdaZip() + " sets "
                        + own.getKey() + ", which the Edge stack sets itself; remove it there");
            }
        }
        return variables;
    }

    public Function function() {
        return function;
    }

    public Alias alias() {
        return alias;
    }

    public FunctionUrl url() {
        return url;
    }

    public Distribution distribution() {
        return distribution;
    }

    public Bucket batchBucket() {
        return batchBucket;
    }
}
