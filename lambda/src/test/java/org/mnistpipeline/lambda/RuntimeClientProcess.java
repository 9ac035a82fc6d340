package org.mnistpipeline.lambda;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A child JVM running the handler under AWS's runtime interface client, the way the java21 managed
 * runtime starts it: main class {@code AWSLambda}, the handler as its argument and in
 * {@code _HANDLER}, and the environment Lambda sets. Its output goes to a log file.
 */
final class RuntimeClientProcess implements AutoCloseable {
    static final String RIC_MAIN = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";
    static final String HANDLER = PredictionHandler.class.getName() + "::handleRequest";

    final Process process;
    /** {@link System#nanoTime()} just before the process was started. */
    final long startNanos;
    final Path log;

    private RuntimeClientProcess(Process process, long startNanos, Path log) {
        this.process = process;
        this.startNanos = startNanos;
        this.log = log;
    }

    /**
     * @param runtimeApi {@code host:port} of the Runtime API
     * @param classpath  the handler, its dependencies and the client
     * @param taskRoot   {@code LAMBDA_TASK_ROOT} and the working directory: the client loads the
     *                   function from {@code user.dir} and its {@code lib/*.jar}, not from the variable
     * @param jvmFlags   extra flags before the main class
     */
    static RuntimeClientProcess start(String runtimeApi, String classpath, Path modelDir, Path taskRoot,
            List<String> jvmFlags, Path log) throws IOException {
        return start(HANDLER, runtimeApi, classpath, modelDir, taskRoot, jvmFlags, log);
    }

    /** With another handler ({@code class::method}), e.g. the DJL one in the cold-start comparison. */
    static RuntimeClientProcess start(String handler, String runtimeApi, String classpath, Path modelDir,
            Path taskRoot, List<String> jvmFlags, Path log) throws IOException {
        return start(handler, runtimeApi, classpath, modelDir, taskRoot, jvmFlags, Map.of(), log);
    }

    /** With more environment variables (e.g. an S3 endpoint), set after Lambda's own. */
    static RuntimeClientProcess start(String handler, String runtimeApi, String classpath, Path modelDir,
            Path taskRoot, List<String> jvmFlags, Map<String, String> extraEnv, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // ONNX Runtime and the client both load JNI libraries; JDK 24+ warns without this.
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", absolute(classpath), RIC_MAIN, handler));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.put("AWS_LAMBDA_RUNTIME_API", runtimeApi);
        env.put("MODEL_DIR", modelDir.toString());
        env.put("_HANDLER", handler);
        env.put("LAMBDA_TASK_ROOT", taskRoot.toString());
        env.put("AWS_LAMBDA_FUNCTION_NAME", "mnist-predict");
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "1");
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/mnist-predict");
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/28/[1]0123456789abcdef");
        env.put("AWS_REGION", "eu-west-1");
        env.remove("JAVA_TOOL_OPTIONS");
        env.putAll(extraEnv);
        Files.createDirectories(log.getParent());
        pb.directory(taskRoot.toFile()).redirectErrorStream(true).redirectOutput(log.toAbsolutePath().toFile());
        long t0 = System.nanoTime();
        return new RuntimeClientProcess(pb.start(), t0, log);
    }

    /** Relative entries would resolve against the task root, the child's working directory. */
    private static String absolute(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator))
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** The test JVM's own classpath (surefire's real one, not its manifest-only booter jar). */
    static String testClasspath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
