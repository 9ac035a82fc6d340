package org.mnistpipeline.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;

/**
 * A synthesized app: the real stacks, the real Lambda zip from the lambda module and an image reference of the form
 * a real push gives, checked by cdk-nag as every synth is. Synthesizing takes 10-30 s here (every construct is a
 * call into the jsii runtime's Node process), so the default app is synthesized once per test JVM
 * ({@link #shared()}) and read by every test class; a test that needs other settings synthesizes its own.
 */
final class Synth {
    /** An ECR image pinned by digest, as `docker push` reports it; nothing is pulled at synth. */
    static final String IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mnist-pipeline@sha256:"
            + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    final MnistInfra.Stacks stacks;
    private final Map<Stack, Template> templates = new LinkedHashMap<>();

    private Synth(InfraSettings settings, Path outdir) {
        App app = new App(AppProps.builder().outdir(outdir.toString()).build());
        stacks = MnistInfra.create(app, settings);
        app.synth();
    }

    static Synth of(InfraSettings settings) {
        try {
            return new Synth(settings, Files.createTempDirectory("mnist-cdk-out"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Synth shared;

    /** The default settings' app, synthesized on first use and shared by the test classes of this JVM. */
    static synchronized Synth shared() {
        if (shared == null) {
            shared = of(settings());
        }
        return shared;
    }

    /** Default settings with the lambda module's zip (built by the reactor before these tests run). */
    static InfraSettings settings() {
        return InfraSettings.defaults(IMAGE, lambdaZip());
    }

    static Path lambdaZip() {
        Path zip = Path.of("..", "lambda", "target", "mnist-lambda-x86_64.zip").toAbsolutePath().normalize();
        if (!Files.isRegularFile(zip)) {
            throw new IllegalStateException(zip + " is missing: run the infra tests through the reactor"
                    + " (./mvnw -pl infra -am verify), which packages the lambda module first");
        }
        return zip;
    }

    Template template(Stack stack) {
        return templates.computeIfAbsent(stack, Template::fromStack);
    }
}
