package org.mnistpipeline.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything the stacks are configured by, validated when built, so a bad value stops the synth with
 * one line that says what to pass instead of producing a template CloudFormation refuses later.
 * Read from CDK context ({@code -c key=value}, {@code cdk.json}, or {@code mnist aws synth} options)
 * by {@link #fromContext(Function, Path)}; every value except the image and the Lambda zip has a default.
 *
 * @param image              the serving and training image, pinned by digest:
 *                           {@code <account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<64 hex>} (context {@code image}),
 *                           or null before the first image is pushed: then only the stacks that need no image
 *                           (foundation, observability, edge) are built, and the ECR repository to push to exists
 * @param lambdaZip          the Lambda deployment zip built by the lambda module (context {@code lambdaZip})
 * @param names              the fixed names the stacks, the alarms and the pipeline's deploy states share
 * @param instanceType       SageMaker real-time instance type (context {@code instanceType})
 * @param minInstances       fewest instances; at least 2, so a blue/green canary of one instance is at most
 *                           half the fleet, as SageMaker requires (context {@code minInstances})
 * @param maxInstances       most instances auto scaling may add (context {@code maxInstances})
 * @param headroom           share of the measured per-instance peak the scaling policy targets (context {@code headroom})
 * @param serverless         also deploy a serverless-inference endpoint, or null for none
 *                           (context {@code serverlessMemoryMb} and {@code serverlessMaxConcurrency})
 * @param lambdaMemoryMb     the prediction function's memory (context {@code lambdaMemoryMb})
 * @param retrainSchedule    EventBridge schedule expression of the retraining pipeline (context {@code retrainSchedule})
 * @param homePrefix         key prefix in the artifacts bucket that {@code MNIST_HOME=s3://bucket/prefix} names
 *                           (context {@code homePrefix})
 * @param alarmEmail         an address subscribed to the alarm topic, or null (context {@code alarmEmail})
 */
public record InfraSettings(
        String image,
        Path lambdaZip,
        Names names,
        String instanceType,
        int minInstances,
        int maxInstances,
        double headroom,
        Serverless serverless,
        int lambdaMemoryMb,
        String retrainSchedule,
        String homePrefix,
        String alarmEmail) {

    /** ECR URI with a digest: SageMaker pulls from ECR, and a digest (unlike a tag) cannot move under a deployed endpoint. */
    static final Pattern ECR_IMAGE = Pattern.compile(
            "^(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([a-z0-9][a-z0-9._/-]*)@(sha256:[0-9a-f]{64})$");
    /** SageMaker real-time instance types this project knows vCPUs and prices for: see {@link InstanceTypes}. */
    public static final String DEFAULT_INSTANCE_TYPE = "ml.c5.large";
    public static final int DEFAULT_MIN_INSTANCES = 2;
    public static final int DEFAULT_MAX_INSTANCES = 4;
    /** SageMaker's own recommended starting safety factor for the invocations-per-instance target. */
    public static final double DEFAULT_HEADROOM = 0.5;
    public static final int DEFAULT_LAMBDA_MEMORY_MB = 1024;
    public static final String DEFAULT_SCHEDULE = "rate(6 hours)";
    public static final String DEFAULT_HOME_PREFIX = "mnist";

    public InfraSettings {
        if (image != null && !ECR_IMAGE.matcher(image).matches()) {
            throw new IllegalArgumentException("image must be an ECR image pinned by digest,"
                    + " <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits>, got '" + image + "'");
        }
        if (lambdaZip == null) {
            throw new IllegalArgumentException("lambdaZip is required: the zip built by ./mvnw package -pl lambda -am");
        }
        if (!Files.isRegularFile(lambdaZip)) {
            throw new IllegalArgumentException("Lambda zip " + lambdaZip + " does not exist; build it with"
                    + " ./mvnw -B -q package -pl lambda -am -DskipTests (./mnist aws synth does)");
        }
        if (names == null) {
            throw new IllegalArgumentException("names must be set");
        }
        InstanceTypes.vcpus(instanceType); // refuses an instance type we hold no figures for
        if (minInstances < 2) {
            throw new IllegalArgumentException("minInstances must be at least 2: a blue/green canary of one instance"
                    + " may be at most half of the fleet, and two instances span two availability zones; got " + minInstances);
        }
        if (maxInstances < minInstances) {
            throw new IllegalArgumentException("maxInstances (" + maxInstances + ") must be >= minInstances (" + minInstances + ")");
        }
        if (!(headroom > 0 && headroom <= 1)) {
            throw new IllegalArgumentException("headroom must be in (0, 1], the share of measured peak throughput to"
                    + " target; got " + headroom);
        }
        if (lambdaMemoryMb < 128 || lambdaMemoryMb > 10_240) {
            throw new IllegalArgumentException("lambdaMemoryMb must be 128..10240 (Lambda's range), got " + lambdaMemoryMb);
        }
        if (retrainSchedule == null || !retrainSchedule.matches("^(rate|cron)\\(.+\\)$")) {
            throw new IllegalArgumentException("retrainSchedule must be an EventBridge expression such as"
                    + " 'rate(6 hours)' or 'cron(0 */6 * * ? *)', got '" + retrainSchedule + "'");
        }
        if (homePrefix == null || !homePrefix.matches("^[a-zA-Z0-9][a-zA-Z0-9._-]*(/[a-zA-Z0-9][a-zA-Z0-9._-]*)*$")) {
            throw new IllegalArgumentException("homePrefix must be an S3 key prefix without leading or trailing '/',"
                    + " e.g. 'mnist', got '" + homePrefix + "'");
        }
        if (alarmEmail != null && !alarmEmail.matches("^[^@\\s]+@[^@\\s]+$")) {
            throw new IllegalArgumentException("alarmEmail must be an e-mail address, got '" + alarmEmail + "'");
        }
    }

    /** Settings with every default, for the image and zip given. */
    public static InfraSettings defaults(String image, Path lambdaZip) {
        return new InfraSettings(image, lambdaZip, Names.DEFAULT, DEFAULT_INSTANCE_TYPE, DEFAULT_MIN_INSTANCES,
                DEFAULT_MAX_INSTANCES, DEFAULT_HEADROOM, null, DEFAULT_LAMBDA_MEMORY_MB, DEFAULT_SCHEDULE,
                DEFAULT_HOME_PREFIX, null);
    }

    /**
     * Reads the settings from CDK context values ({@code key -> value or null}); {@code lambdaZip} defaults to the
     * lambda module's x86_64 zip under {@code repoRoot}.
     */
    public static InfraSettings fromContext(Function<String, Object> context, Path repoRoot) {
        String zip = string(context, "lambdaZip");
        Integer memory = integer(context, "serverlessMemoryMb");
        Integer concurrency = integer(context, "serverlessMaxConcurrency");
        Serverless serverless = memory == null && concurrency == null ? null
                : new Serverless(memory == null ? Serverless.DEFAULT_MEMORY_MB : memory,
                        concurrency == null ? Serverless.DEFAULT_MAX_CONCURRENCY : concurrency);
        return new InfraSettings(
                string(context, "image"),
                zip == null ? repoRoot.resolve("lambda/target/mnist-lambda-x86_64.zip") : repoRoot.resolve(zip),
                Names.DEFAULT,
                orDefault(string(context, "instanceType"), DEFAULT_INSTANCE_TYPE),
                orDefault(integer(context, "minInstances"), DEFAULT_MIN_INSTANCES),
                orDefault(integer(context, "maxInstances"), DEFAULT_MAX_INSTANCES),
                orDefault(number(context, "headroom"), DEFAULT_HEADROOM),
                serverless,
                orDefault(integer(context, "lambdaMemoryMb"), DEFAULT_LAMBDA_MEMORY_MB),
                orDefault(string(context, "retrainSchedule"), DEFAULT_SCHEDULE),
                orDefault(string(context, "homePrefix"), DEFAULT_HOME_PREFIX),
                string(context, "alarmEmail"));
    }

    /** The settings as CDK context, the inverse of {@link #fromContext}: what {@code mnist aws synth} hands the app. */
    public Map<String, String> toContext() {
        var map = new java.util.LinkedHashMap<String, String>();
        if (image != null) {
            map.put("image", image);
        }
        map.put("lambdaZip", lambdaZip.toAbsolutePath().toString());
        map.put("instanceType", instanceType);
        map.put("minInstances", Integer.toString(minInstances));
        map.put("maxInstances", Integer.toString(maxInstances));
        map.put("headroom", Double.toString(headroom));
        if (serverless != null) {
            map.put("serverlessMemoryMb", Integer.toString(serverless.memoryMb()));
            map.put("serverlessMaxConcurrency", Integer.toString(serverless.maxConcurrency()));
        }
        map.put("lambdaMemoryMb", Integer.toString(lambdaMemoryMb));
        map.put("retrainSchedule", retrainSchedule);
        map.put("homePrefix", homePrefix);
        if (alarmEmail != null) {
            map.put("alarmEmail", alarmEmail);
        }
        return map;
    }

    /** Whether an image was given, i.e. whether the serving and pipeline stacks can be built. */
    public boolean hasImage() {
        return image != null;
    }

    /** The image's parts: where its repository lives and which digest is served. */
    public ImageRef imageRef() {
        if (image == null) {
            throw new IllegalArgumentException("the serving and pipeline stacks need the image, pinned by digest:"
                    + " --image <account>.dkr.ecr.<region>.amazonaws.com/mnist-pipeline@sha256:<digest>"
                    + " (docs/aws-deploy.md, step 3)");
        }
        Matcher m = ECR_IMAGE.matcher(image);
        if (!m.matches()) {
            throw new IllegalStateException("validated in the constructor");
        }
        return new ImageRef(m.group(1), m.group(2), m.group(3), m.group(4));
    }

    public InfraSettings withServerless(Serverless value) {
        return new InfraSettings(image, lambdaZip, names, instanceType, minInstances, maxInstances, headroom, value,
                lambdaMemoryMb, retrainSchedule, homePrefix, alarmEmail);
    }

    public InfraSettings withInstanceType(String value) {
        return new InfraSettings(image, lambdaZip, names, value, minInstances, maxInstances, headroom, serverless,
                lambdaMemoryMb, retrainSchedule, homePrefix, alarmEmail);
    }

    public InfraSettings withImage(String value) {
        return new InfraSettings(value, lambdaZip, names, instanceType, minInstances, maxInstances, headroom, serverless,
                lambdaMemoryMb, retrainSchedule, homePrefix, alarmEmail);
    }

    public InfraSettings withAlarmEmail(String value) {
        return new InfraSettings(image, lambdaZip, names, instanceType, minInstances, maxInstances, headroom, serverless,
                lambdaMemoryMb, retrainSchedule, homePrefix, value);
    }

    /**
     * An ECR image reference.
     *
     * @param account    the registry's account
     * @param region     the registry's region
     * @param repository the repository name
     * @param digest     {@code sha256:<64 hex>}
     */
    public record ImageRef(String account, String region, String repository, String digest) {}

    /**
     * The serverless-inference variant's size.
     *
     * @param memoryMb       1024..6144 in steps of 1024 (SageMaker's allowed values)
     * @param maxConcurrency 1..200 concurrent invocations
     */
    public record Serverless(int memoryMb, int maxConcurrency) {
        public static final int DEFAULT_MEMORY_MB = 2048;
        public static final int DEFAULT_MAX_CONCURRENCY = 20;

        public Serverless {
            if (memoryMb < 1024 || memoryMb > 6144 || memoryMb % 1024 != 0) {
                throw new IllegalArgumentException("serverlessMemoryMb must be 1024, 2048, 3072, 4096, 5120 or 6144"
                        + " (SageMaker's sizes), got " + memoryMb);
            }
            if (maxConcurrency < 1 || maxConcurrency > 200) {
                throw new IllegalArgumentException("serverlessMaxConcurrency must be 1..200, got " + maxConcurrency);
            }
        }
    }

    /**
     * Physical names shared between the stacks, their alarms and the pipeline, which updates the endpoint and the
     * function by name. Fixed rather than generated so the alarms, the dashboard and the deploy states can name
     * them without cross-stack references in both directions.
     */
    public record Names(String endpoint, String variant, String serverlessEndpoint, String function, String alias,
            String stateMachine, String modelParameter) {
        /** The production model's artifact URI lives here; the pipeline writes it, the stacks only read it. */
        public static final Names DEFAULT = new Names("mnist-pipeline", "AllTraffic", "mnist-pipeline-serverless",
                "mnist-pipeline-predict", "live", "mnist-pipeline-retrain", "/mnist-pipeline/production/model-data-url");

        /** The alarm names the endpoint's guardrails watch (also what the deploy states must pass to UpdateEndpoint). */
        public String endpoint5xxAlarm() {
            return endpoint + "-5xx";
        }

        public String endpointLatencyAlarm() {
            return endpoint + "-p99-latency";
        }
    }

    private static String string(Function<String, Object> context, String key) {
        Object value = context.apply(key);
        return value == null || value.toString().isBlank() ? null : value.toString().trim();
    }

    private static Integer integer(Function<String, Object> context, String key) {
        String value = string(context, key);
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + value + "'");
        }
    }

    private static Double number(Function<String, Object> context, String key) {
        String value = string(context, key);
        if (value == null) {
            return null;
        }
        try {
            return Double.valueOf(value.toLowerCase(Locale.ROOT));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + value + "'");
        }
    }

    private static <T> T orDefault(T value, T fallback) {
        return value == null ? fallback : value;
    }
}
