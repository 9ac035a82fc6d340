package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AwsCliTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(AwsCli cli, String... args) {
        CommandLine cmd = AwsCli.commandLine(cli);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void synthWritesEveryStacksTemplateWithNoAccountAndReportsNagClean() throws IOException {
        Path assembly = tmp.resolve("cdk.out");
        int code = run(new AwsCli(ROOT, List.of("false"), new BufferedReader(new StringReader(""))),
                "synth", "--image", Synth.IMAGE, "--out", assembly.toString(), "-c", "minInstances=3");
        assertThat(code).as(err.toString()).isZero();
        for (String stack : List.of("MnistFoundation", "MnistObservability", "MnistServing", "MnistEdge",
                "MnistPipeline")) {
            Path template = assembly.resolve(stack + ".template.json");
            assertThat(template).isRegularFile();
            assertThat(out.toString()).contains(stack);
        }
        assertThat(out.toString()).contains("no unsuppressed findings");
        assertThat(Files.readString(assembly.resolve("MnistServing.template.json")))
                .contains("\"InitialInstanceCount\": 3");
        // The Lambda zip travels in the assembly as an asset, for cdk deploy to upload.
        try (var files = Files.list(assembly)) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("asset.") && n.endsWith(".zip"));
        }
    }

    @Test
    void withoutAnImageSynthBuildsTheStacksThatNeedNoneSoTheRepositoryCanBeCreatedFirst() {
        Path assembly = tmp.resolve("first");
        int code = run(new AwsCli(ROOT, List.of("false"), new BufferedReader(new StringReader(""))),
                "synth", "--out", assembly.toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(assembly.resolve("MnistFoundation.template.json")).isRegularFile();
        assertThat(assembly.resolve("MnistEdge.template.json")).isRegularFile();
        assertThat(assembly.resolve("MnistServing.template.json")).doesNotExist();
        assertThat(assembly.resolve("MnistPipeline.template.json")).doesNotExist();
        assertThat(out.toString()).contains("no --image: MnistServing and MnistPipeline were left out");
    }

    @Test
    void aBadSettingExitsThreeWithOneLineSayingWhatToPass() {
        int code = run(new AwsCli(ROOT, List.of("false"), new BufferedReader(new StringReader(""))),
                "synth", "--image", "mnist-pipeline:latest", "--out", tmp.toString());
        assertThat(code).isEqualTo(AwsCli.BAD_INPUT);
        assertThat(err.toString().strip()).startsWith("mnist aws: image must be an ECR image pinned by digest")
                .doesNotContain("\n");
    }

    @Test
    void deployShowsTheDiffAndDeploysNothingWhenTheAnswerIsNo() throws IOException {
        Path log = tmp.resolve("cdk.log");
        int code = run(cli(log, "n\n"), "deploy", "--image", Synth.IMAGE, "--out", tmp.resolve("out").toString());
        assertThat(code).isEqualTo(AwsCli.DECLINED);
        assertThat(Files.readAllLines(log)).containsExactly("diff --app " + tmp.resolve("out") + " --all");
        assertThat(out.toString()).contains("Deploy these changes? [y/N]").contains("Nothing deployed.");
    }

    @Test
    void deployDeploysAfterAYesAndWithoutAskingUnderYes() throws IOException {
        Path log = tmp.resolve("cdk.log");
        String dir = tmp.resolve("out").toString();
        assertThat(run(cli(log, "y\n"), "deploy", "--image", Synth.IMAGE, "--out", dir)).isZero();
        assertThat(Files.readAllLines(log)).containsExactly("diff --app " + dir + " --all",
                "deploy --app " + dir + " --all --require-approval never");

        Files.delete(log);
        assertThat(run(cli(log, ""), "deploy", "--yes", "--image", Synth.IMAGE, "--out", dir)).isZero();
        assertThat(Files.readAllLines(log)).hasSize(2).last().asString().startsWith("deploy ");
    }

    @Test
    void aFailingCdkExitsFourAndNamesTheCommand() throws IOException {
        Path fake = tmp.resolve("cdk-fails");
        Files.writeString(fake, "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        AwsCli cli = new AwsCli(ROOT, List.of(fake.toString()), new BufferedReader(new StringReader("")),
                (context, dir, e) -> { });
        assertThat(run(cli, "deploy", "--yes", "--image", Synth.IMAGE)).isEqualTo(AwsCli.CDK_FAILED);
        assertThat(err.toString()).contains("cdk-fails diff").contains("exited 3");
    }

    /**
     * A CLI whose CDK is a script logging its arguments ({@code cdk diff} exits 1: changes found, as the real one
     * does), and whose synth only records that it ran: synth itself is tested above.
     */
    private AwsCli cli(Path log, String answers) throws IOException {
        Path fake = tmp.resolve("cdk");
        Files.writeString(fake, "#!/bin/sh\necho \"$*\" >> '" + log + "'\n[ \"$1\" = diff ] && exit 1\nexit 0\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        List<String> synthesized = new ArrayList<>();
        return new AwsCli(ROOT, List.of(fake.toString()), new BufferedReader(new StringReader(answers)),
                (context, dir, e) -> synthesized.add(context.get("image")));
    }
}
