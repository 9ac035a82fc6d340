package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import java.util.List;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.services.s3.Bucket;

/** The control for {@link CdkNagTest}: the same check reports a bucket that breaks the rules, so "no findings" means something. */
class NagControlTest {
    @Test
    void theAwsSolutionsCheckReportsAPlainBucketAndASuppressionHidesOnlyItsOwnRule(@TempDir Path out) {
        App app = new App(AppProps.builder().outdir(out.toString()).build());
        Stack stack = new Stack(app, "Control");
        Bucket plain = new Bucket(stack, "Plain");
        Nag.suppress(plain, "AwsSolutions-S1", "control: access logs deliberately off");
        Aspects.of(app).add(new AwsSolutionsChecks());
        app.synth();
        List<String> ids = Annotations.fromStack(stack)
                .findError("*", Match.stringLikeRegexp("AwsSolutions-.*")).stream()
                .map(m -> String.valueOf(m.getEntry().getData()).replaceAll("(?s):.*", "")).toList();
        assertThat(ids).contains("AwsSolutions-S10").doesNotContain("AwsSolutions-S1");
        // What `mnist aws synth` reads back from the assembly to fail (exit 5) on.
        assertThat(AwsCli.nagFindings(out)).anyMatch(f -> f.startsWith("/Control/Plain/Resource: AwsSolutions-S10"));
        assertThat(AwsCli.stacks(out)).containsExactly("Control");
    }
}
