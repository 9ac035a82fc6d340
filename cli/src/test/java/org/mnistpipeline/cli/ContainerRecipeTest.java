package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What CI can check about {@code docker/Dockerfile} without minutes of image build (bench/image.sh
 * builds and runs it): the build sees every module the root POM lists, every base is pinned by
 * digest and overridable, the runtime stages run as a numeric non-root user, nothing hides a failure,
 * and the HEALTHCHECK needs nothing the image lacks.
 */
class ContainerRecipeTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern DIGEST = Pattern.compile("^[^\\s@]+@sha256:[0-9a-f]{64}$");

    private static String dockerfile() throws Exception {
        // Continuation lines joined, comments dropped: one instruction per line.
        String text = Files.readString(ROOT.resolve("docker/Dockerfile")).replaceAll("\\\\\\n", " ");
        return String.join("\n", text.lines().filter(l -> !l.stripLeading().startsWith("#")).toList());
    }

    private static List<String> instructions(String keyword) throws Exception {
        return dockerfile().lines().map(String::strip).filter(l -> l.startsWith(keyword + " ")).toList();
    }

    private static Map<String, String> globalArgs() throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String line : dockerfile().lines().map(String::strip).toList()) {
            if (line.startsWith("FROM ")) {
                break; // ARGs before the first FROM are the ones a FROM may use
            }
            Matcher m = Pattern.compile("^ARG (\\w+)(?:=(\\S*))?").matcher(line);
            if (m.find()) {
                args.put(m.group(1), m.group(2));
            }
        }
        return args;
    }

    /** Stage name -> the image or stage it starts from, in file order. */
    private static Map<String, String> stages() throws Exception {
        Map<String, String> stages = new LinkedHashMap<>();
        int unnamed = 0;
        for (String from : instructions("FROM")) {
            String[] parts = from.replaceAll("--platform=\\S+\\s+", "").split("\\s+");
            stages.put(parts.length >= 4 && parts[2].equalsIgnoreCase("AS") ? parts[3] : "#" + unnamed++, parts[1]);
        }
        return stages;
    }

    @Test
    void everyBaseImageIsAnOverridableArgumentPinnedByDigest() throws Exception {
        Map<String, String> args = globalArgs();
        Map<String, String> stages = stages();
        assertThat(args).containsKeys("BASE_IMAGE", "BUILD_IMAGE");
        for (var stage : stages.entrySet()) {
            String source = stage.getValue();
            if (stages.containsKey(source)) {
                continue; // built on an earlier stage
            }
            Matcher ref = Pattern.compile("^\\$\\{(\\w+)}$").matcher(source);
            assertThat(ref.matches()).as("stage %s starts from %s: name bases through an ARG so they can be overridden",
                    stage.getKey(), source).isTrue();
            assertThat(args.get(ref.group(1))).as("default of ARG %s", ref.group(1)).matches(DIGEST);
        }
    }

    @Test
    void buildSeesEveryModuleOfTheRootPom() throws Exception {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        List<String> modules = new ArrayList<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        while (m.find()) {
            modules.add(m.group(1));
        }
        assertThat(modules).contains("cli", "server");
        // The whole tree is copied, so a module added to the root POM is in the build without an edit here...
        assertThat(instructions("COPY")).contains("COPY . .");
        // ...unless .dockerignore drops it, or what Maven needs to start.
        List<String> ignored = Files.readAllLines(ROOT.resolve(".dockerignore")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        for (String needed : concat(modules, List.of("pom.xml", "mvnw", ".mvn", "docker"))) {
            assertThat(ignored).as(".dockerignore must keep %s", needed)
                    .noneMatch(p -> p.equals(needed) || p.equals(needed + "/") || p.equals("/" + needed));
        }
        assertThat(ignored).contains("**/target");
        String build = instructions("RUN").stream().filter(r -> r.contains("mvnw")).findFirst().orElseThrow();
        assertThat(build).contains("package", "-pl cli,server -am", "--mount=type=cache");
    }

    @Test
    void theImagesThatRunAreNonRootAndHideNoFailure() throws Exception {
        String file = dockerfile();
        assertThat(file).doesNotContain("|| true").doesNotContain("|| :");
        // Both runnable targets (gpu, and cpu: the last stage, docker build's default) end as uid 10001.
        for (String target : List.of("gpu", "cpu")) {
            String stage = file.substring(file.indexOf(" AS " + target + "\n"));
            int next = stage.indexOf("\nFROM ");
            stage = next < 0 ? stage : stage.substring(0, next);
            List<String> users = stage.lines().filter(l -> l.startsWith("USER ")).toList();
            assertThat(users).as("USER in stage %s", target).isNotEmpty();
            assertThat(users.getLast()).matches("USER [1-9][0-9]*:[1-9][0-9]*");
            assertThat(stage).contains("ENTRYPOINT [\"/app/entrypoint.sh\"]");
        }
        assertThat(stages().keySet()).last().isEqualTo("cpu");
    }

    @Test
    void healthcheckNeedsOnlyTheEntrypointAndBash() throws Exception {
        List<String> checks = instructions("HEALTHCHECK");
        assertThat(checks).hasSize(1);
        // dash, the /bin/sh of Debian and Ubuntu bases, has no /dev/tcp; the image has no curl.
        assertThat(checks.getFirst()).endsWith("CMD [\"/app/entrypoint.sh\", \"healthcheck\"]")
                .doesNotContain("/bin/sh").doesNotContain("curl").doesNotContain("wget");
        assertThat(Files.readString(ROOT.resolve("docker/entrypoint.sh"))).startsWith("#!/usr/bin/env bash");
    }

    @Test
    void jarsTheRecipeCopiesAreTheOnesMavenBuilds() throws Exception {
        String file = dockerfile();
        for (String module : List.of("cli", "server")) {
            String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
            Matcher name = Pattern.compile("<finalName>([^<]+)</finalName>").matcher(pom);
            assertThat(name.find()).isTrue();
            assertThat(file).contains(module + "/target/" + name.group(1) + ".jar").contains(module + "/target/lib/");
            assertThat(Files.readString(ROOT.resolve("docker/entrypoint.sh")))
                    .contains("$APP_HOME/" + module + "/" + name.group(1) + ".jar");
        }
    }

    @Test
    void scriptsThatBuildAndRunTheImageParse() throws Exception {
        for (String script : List.of("docker/entrypoint.sh", "docker/build-local.sh", "bench/image.sh")) {
            Process bash = new ProcessBuilder("bash", "-n", ROOT.resolve(script).toString()).redirectErrorStream(true)
                    .start();
            assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(bash.exitValue()).as(script + ": " + new String(bash.getInputStream().readAllBytes())).isZero();
            assertThat(Files.isExecutable(ROOT.resolve(script))).as(script + " is executable").isTrue();
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
