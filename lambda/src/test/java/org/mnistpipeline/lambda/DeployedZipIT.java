package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.Json;

/**
 * The deployment zip as Lambda runs it, after {@code package} built it: unpacked as the task root,
 * started by AWS's runtime interface client (alone on the system classpath, as in the managed runtime;
 * the function's classes come from the zip's {@code lib/}) with the environment the zip itself carries
 * ({@code environment.properties}, which the Edge stack deploys; {@code /var/task} mapped to the
 * unpacked copy). It must answer a function URL PNG, with the JVM flags picked up and ONNX Runtime
 * mapped from the zip's {@code native/} folder rather than from a copy extracted to {@code /tmp}.
 */
class DeployedZipIT {
    @TempDir
    Path taskRoot;

    @Test
    void theZipWithItsOwnEnvironmentAnswersAPngWithOnnxRuntimeLoadedFromItsNativeFolder() throws Exception {
        Path zip = Path.of(System.getProperty("lambda.zip", "target/mnist-lambda-x86_64.zip"));
        Assumptions.assumeTrue(zip.getFileName().toString().contains(
                System.getProperty("os.arch").equals("amd64") ? "x86_64" : "arm64"), zip + " is for another architecture");
        unzip(zip, taskRoot);
        Map<String, String> env = new TreeMap<>();
        Properties carried = new Properties();
        try (Reader in = Files.newBufferedReader(taskRoot.resolve("environment.properties"))) {
            carried.load(in);
        }
        carried.stringPropertyNames().forEach(name ->
                env.put(name, carried.getProperty(name).trim().replace("/var/task", taskRoot.toString())));
        assertThat(env.get("JAVA_TOOL_OPTIONS")).contains("-Donnxruntime.native.path=" + taskRoot.resolve("native"));
        String runtimeClasspath = Arrays.stream(RuntimeClientProcess.testClasspath().split(File.pathSeparator))
                .filter(e -> e.matches(".*/aws-lambda-java-(runtime-interface-client|serialization|core)/.*")
                        || e.contains("/software/amazon/awssdk/utils-lite/"))
                .collect(Collectors.joining(File.pathSeparator));

        try (LoopbackRuntimeApi api = new LoopbackRuntimeApi()) {
            api.enqueue(Harness.event("apigw-v2-png.json"));
            try (RuntimeClientProcess child = RuntimeClientProcess.start(RuntimeClientProcess.HANDLER, api.address(),
                    runtimeClasspath, Harness.modelDir(), taskRoot, List.of(), env,
                    Path.of("target", "deployed-zip-it", "child.log"))) {
                LoopbackRuntimeApi.Posted posted = api.awaitPosted(120, TimeUnit.SECONDS);
                assertThat(posted).as("posted; child log:%n%s", child.output()).isNotNull();
                assertThat(posted.kind()).as(child.output()).isEqualTo("response");
                JsonNode answer = Json.mapper().readTree(posted.body());
                assertThat(answer.get("statusCode").asInt()).as(posted.body()).isEqualTo(200);
                assertThat(Harness.body(answer).get("predictions").get(0).get("label").asInt()).isEqualTo(7);

                List<String> mapped = Files.readAllLines(Path.of("/proc", String.valueOf(child.process.pid()), "maps"))
                        .stream().filter(l -> l.contains("libonnxruntime")).map(l -> l.replaceAll("^.* ", ""))
                        .distinct().toList();
                assertThat(mapped).containsExactlyInAnyOrder(taskRoot.resolve("native/libonnxruntime.so").toString(),
                        taskRoot.resolve("native/libonnxruntime4j_jni.so").toString());
                assertThat(child.output()).contains("Picked up JAVA_TOOL_OPTIONS: " + env.get("JAVA_TOOL_OPTIONS"));
            }
        }
    }

    private static void unzip(Path zip, Path into) throws IOException {
        try (InputStream file = Files.newInputStream(zip); ZipInputStream in = new ZipInputStream(file)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                Path target = into.resolve(e.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("zip entry outside the task root: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(in, target);
                }
            }
        }
        assertThat(Files.readString(into.resolve("environment.properties"), StandardCharsets.UTF_8))
                .contains("JAVA_TOOL_OPTIONS=");
    }
}
