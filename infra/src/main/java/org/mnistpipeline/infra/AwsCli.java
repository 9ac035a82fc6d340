package org.mnistpipeline.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;

/**
 * {@code mnist aws}: synth, deploy and plan, on the infra module's own classpath (the launcher's {@code aws}
 * command), so the CDK's jars never reach the main CLI. Exit codes: 0 done, 2 usage, 3 bad setting or input,
 * 4 the CDK CLI failed, 5 cdk-nag findings, 6 deployment declined.
 */
@Command(name = "aws", mixinStandardHelpOptions = true,
        description = "The whole system on AWS as code: synthesize, deploy, size.",
        subcommands = {AwsCli.Synth.class, AwsCli.Deploy.class, AwsCli.Plan.class})
public final class AwsCli implements Callable<Integer> {
    static final int BAD_INPUT = 3;
    static final int CDK_FAILED = 4;
    static final int NAG_FINDINGS = 5;
    static final int DECLINED = 6;
    /** The CDK CLI from npm, pinned; it reads the cloud assembly schema aws-cdk-lib 2.263.0 writes. */
    static final List<String> DEFAULT_CDK = List.of("npx", "--yes", "aws-cdk@2.1148.1");

    private final Path root;
    private final List<String> cdk;
    private final BufferedReader stdin;
    private final Synthesizer synthesizer;

    /** Writes the cloud assembly for a context into a directory; {@link #synth} unless a test replaces it. */
    @FunctionalInterface
    interface Synthesizer {
        void synthesize(Map<String, String> context, Path out, PrintWriter err);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    AwsCli(Path root, List<String> cdk, BufferedReader stdin) {
        this.root = root;
        this.cdk = List.copyOf(cdk);
        this.stdin = stdin;
        this.synthesizer = this::synth;
    }

    AwsCli(Path root, List<String> cdk, BufferedReader stdin, Synthesizer synthesizer) {
        this.root = root;
        this.cdk = List.copyOf(cdk);
        this.stdin = stdin;
        this.synthesizer = synthesizer;
    }

    public static void main(String[] args) {
        Path root = Path.of(System.getProperty("mnist.root", ".")).toAbsolutePath().normalize();
        String override = System.getenv("MNIST_CDK");
        List<String> cdk = override == null || override.isBlank() ? DEFAULT_CDK : List.of(override.trim().split("\\s+"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        CommandLine cmd = commandLine(new AwsCli(root, cdk, in));
        int code = cmd.execute(args);
        cmd.getOut().flush(); // picocli's writers do not flush on their own, and System.exit would drop the output
        cmd.getErr().flush();
        System.exit(code);
    }

    /** The command line with the one exception-to-exit-code mapper of this edge. */
    static CommandLine commandLine(AwsCli cli) {
        CommandLine cmd = new CommandLine(cli);
        cmd.setExecutionExceptionHandler((e, line, parsed) -> {
            Throwable cause = e;
            // jsii wraps errors thrown while constructs are built; the message is the construct's own.
            while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
                cause = cause.getCause();
            }
            if (cause instanceof IllegalArgumentException || e instanceof software.amazon.jsii.JsiiError) {
                line.getErr().println("mnist aws: " + firstLine(cause.getMessage()));
                return BAD_INPUT;
            }
            if (e instanceof CdkFailed failed) {
                line.getErr().println("mnist aws: " + failed.getMessage());
                return CDK_FAILED;
            }
            throw e;
        });
        return cmd;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /**
     * Synthesizes every stack into {@code out} and returns the stacks' names; fails on any unsuppressed cdk-nag
     * finding, read back from the cloud assembly's manifest (findings are {@code aws:cdk:error} metadata there).
     */
    List<String> synth(Map<String, String> context, Path out, PrintWriter err) {
        InfraSettings settings = InfraSettings.fromContext(context::get, root);
        App app = new App(AppProps.builder().outdir(out.toString()).context(new LinkedHashMap<>(settings.toContext()))
                .build());
        MnistInfra.create(app, settings);
        app.synth();
        List<String> findings = nagFindings(out);
        if (!findings.isEmpty()) {
            findings.forEach(f -> err.println("  " + f));
            throw new NagFindings(findings.size());
        }
        return stacks(out);
    }

    /**
     * The cdk-nag findings no suppression covers, from the assembly in {@code out}: {@code aws:cdk:error} metadata,
     * which the manifest holds inline or (as this CDK writes it) in each artifact's {@code additionalMetadataFile}.
     */
    static List<String> nagFindings(Path out) {
        List<String> findings = new ArrayList<>();
        manifest(out).path("artifacts").properties().forEach(artifact -> {
            collectErrors(artifact.getValue().path("metadata"), findings);
            String file = artifact.getValue().path("additionalMetadataFile").asText("");
            if (!file.isEmpty()) {
                collectErrors(readJson(out.resolve(file)), findings);
            }
        });
        return findings;
    }

    private static void collectErrors(JsonNode metadataByPath, List<String> findings) {
        metadataByPath.properties().forEach(path -> {
            for (JsonNode entry : path.getValue()) {
                if ("aws:cdk:error".equals(entry.path("type").asText())) {
                    findings.add(path.getKey() + ": " + firstLine(entry.path("data").asText()));
                }
            }
        });
    }

    /** The CloudFormation stacks in the assembly in {@code out}. */
    static List<String> stacks(Path out) {
        List<String> stacks = new ArrayList<>();
        manifest(out).path("artifacts").properties().forEach(artifact -> {
            if ("aws:cloudformation:stack".equals(artifact.getValue().path("type").asText())) {
                stacks.add(artifact.getKey());
            }
        });
        return stacks;
    }

    private static JsonNode manifest(Path out) {
        return readJson(out.resolve("manifest.json"));
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the cloud assembly file " + file, e);
        }
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = "Write the CloudFormation templates (no AWS account needed) and check them with cdk-nag.")
    static final class Synth implements Callable<Integer> {
        @CommandLine.ParentCommand
        AwsCli parent;

        @CommandLine.Mixin
        SettingsOptionsMixin options;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path dir = parent.outDir(options.out);
            try {
                for (String stack : parent.synth(options.context(), dir, err)) {
                    out.printf(Locale.ROOT, "%-20s %s%n", stack, dir.resolve(stack + ".template.json"));
                }
                out.println("cdk-nag AwsSolutions: no unsuppressed findings");
                if (!options.context().containsKey("image")) {
                    out.println("no --image: MnistServing and MnistPipeline were left out (they run the project's"
                            + " image, pinned by digest; push one to the MnistFoundation repository first)");
                }
                return 0;
            } catch (NagFindings e) {
                err.println("mnist aws: " + e.getMessage());
                return NAG_FINDINGS;
            }
        }
    }

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = "Synthesize, show what would change (cdk diff), ask, then cdk deploy every stack.")
    static final class Deploy implements Callable<Integer> {
        @CommandLine.ParentCommand
        AwsCli parent;

        @CommandLine.Mixin
        SettingsOptionsMixin options;

        @Option(names = "--yes", description = "deploy without asking")
        boolean yes;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path dir = parent.outDir(options.out);
            try {
                parent.synthesizer.synthesize(options.context(), dir, err);
            } catch (NagFindings e) {
                err.println("mnist aws: " + e.getMessage());
                return NAG_FINDINGS;
            }
            out.println("What this deploy would change (cdk diff):");
            out.flush();
            parent.runCdk(List.of("diff", "--app", dir.toString(), "--all"), true);
            if (!yes) {
                out.print("Deploy these changes? [y/N] ");
                out.flush();
                String answer = parent.stdin.readLine();
                if (answer == null || !answer.trim().toLowerCase(Locale.ROOT).matches("y|yes")) {
                    out.println("Nothing deployed.");
                    return DECLINED;
                }
            }
            // Approved here (or with --yes), so cdk's own prompt for widened permissions is not asked twice.
            parent.runCdk(List.of("deploy", "--app", dir.toString(), "--all", "--require-approval", "never"), false);
            out.println("Deployed. Outputs above; docs/aws-deploy.md says what to do next.");
            return 0;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true,
            description = "Size SageMaker, serverless and Lambda for a load, from our benchmark figures and dated prices.")
    static final class Plan implements Callable<Integer> {
        @Option(names = "--rps", required = true, description = "requests per second to serve")
        double rps;

        @Option(names = "--p99-ms", description = "p99 latency bound in milliseconds (server side, as measured)")
        Double p99Ms;

        @Option(names = "--headroom", defaultValue = "0.5", description = "share of measured peak to plan for (default: ${DEFAULT-VALUE})")
        double headroom;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            MeasuredThroughput server = MeasuredThroughput.load();
            PriceBook prices = PriceBook.load();
            Planner planner = new Planner(server, MeasuredLambda.load(), prices, headroom);
            spec.commandLine().getOut().print(Planner.render(planner.plan(rps, p99Ms), prices, server));
            return 0;
        }
    }

    /** The settings synth and deploy take, as CDK context. */
    static final class SettingsOptionsMixin {
        @Option(names = "--image", description = "ECR image pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:...)")
        String image;

        @Option(names = "--out", description = "cloud assembly directory (default: infra/cdk.out)")
        Path out;

        @Option(names = {"-c", "--context"}, description = "CDK context key=value: instanceType, minInstances,"
                + " maxInstances, headroom, serverlessMemoryMb, serverlessMaxConcurrency, lambdaMemoryMb,"
                + " retrainSchedule, homePrefix, alarmEmail, lambdaZip")
        Map<String, String> context = new LinkedHashMap<>();

        Map<String, String> context() {
            Map<String, String> all = new LinkedHashMap<>(context);
            if (image != null) {
                all.put("image", image);
            }
            return all;
        }
    }

    Path outDir(Path out) {
        return out != null ? out.toAbsolutePath() : root.resolve("infra").resolve("cdk.out");
    }

    /** Runs the CDK CLI with {@code args}, its output passed through; {@code diff} exits 1 when there are changes. */
    void runCdk(List<String> args, boolean diff) {
        List<String> command = new ArrayList<>(cdk);
        command.addAll(args);
        try {
            Process process = new ProcessBuilder(command).directory(root.toFile()).inheritIO().start();
            int code = process.waitFor();
            if (code != 0 && !(diff && code == 1)) {
                throw new CdkFailed(String.join(" ", command) + " exited " + code);
            }
        } catch (IOException e) {
            throw new CdkFailed("cannot run " + String.join(" ", command) + ": " + e.getMessage()
                    + " (the CDK CLI comes from npm; set MNIST_CDK to another command)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CdkFailed("interrupted while running " + String.join(" ", command));
        }
    }

    static String firstLine(String message) {
        if (message == null) {
            return "failed";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** The CDK CLI exited with a failure. */
    static final class CdkFailed extends RuntimeException {
        CdkFailed(String message) {
            super(message);
        }
    }

    /** cdk-nag reported findings that no suppression covers. */
    static final class NagFindings extends RuntimeException {
        NagFindings(int count) {
            super(count + " cdk-nag finding(s) without a suppression (listed above); fix them or suppress each on its"
                    + " resource with a reason (infra/.../Nag.java)");
        }
    }
}
