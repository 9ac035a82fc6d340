package org.mnistpipeline.lambda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Cold start as Lambda sees it, for {@code bench/lambda-coldstart.sh}: a fresh JVM running the
 * runtime interface client against a loopback Runtime API, timed from process start to the first
 * response posted (init + the first invocation). Prints {@code <label> <wall ms> <child CPU ms>} per run.
 *
 * <pre>java -Dsun.net.httpserver.nodelay=true -cp &lt;lambda test classpath&gt; org.mnistpipeline.lambda.LambdaColdStart \
 *     LABEL RUNS CHILD_CLASSPATH TASK_ROOT MODEL_DIR [child JVM flags...]</pre>
 *
 * CHILD_CLASSPATH is what the managed runtime puts on the system classpath (the client and its
 * dependencies); TASK_ROOT is the unzipped deployment package, loaded from {@code lib/*.jar} by the
 * client's own class loader, as on Lambda. {@code -Dlambda.handler=class::method} runs another handler;
 * {@code -Dlambda.env.NAME=value} sets the child's environment variable NAME (e.g. {@code JAVA_TOOL_OPTIONS},
 * which is how Lambda hands a function its JVM flags). The loopback Runtime API answers one exchange of its
 * own before each child starts ({@link LoopbackRuntimeApi#warmUp}).
 */
final class LambdaColdStart {
    private static final String ENV_PREFIX = "lambda.env.";

    private LambdaColdStart() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: LambdaColdStart LABEL RUNS CHILD_CLASSPATH TASK_ROOT MODEL_DIR [jvm flags...]");
            System.exit(2);
        }
        String label = args[0];
        int runs = Integer.parseInt(args[1]);
        String classpath = args[2];
        Path taskRoot = Path.of(args[3]);
        Path modelDir = Path.of(args[4]);
        List<String> flags = Arrays.asList(args).subList(5, args.length);
        String handler = System.getProperty("lambda.handler", RuntimeClientProcess.HANDLER);
        byte[] event = Harness.event("apigw-v2-png.json");
        Map<String, String> env = new TreeMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(ENV_PREFIX)) {
                env.put(name.substring(ENV_PREFIX.length()), System.getProperty(name));
            }
        }
        Path logs = Files.createTempDirectory("lambda-coldstart");
        for (int i = 1; i <= runs; i++) {
            try (LoopbackRuntimeApi api = new LoopbackRuntimeApi()) {
                api.warmUp();
                api.enqueue(event);
                try (RuntimeClientProcess child = RuntimeClientProcess.start(handler, api.address(), classpath, modelDir,
                        taskRoot, flags, env, logs.resolve(label + "-" + i + ".log"))) {
                    LoopbackRuntimeApi.Posted posted = api.awaitPosted(120, TimeUnit.SECONDS);
                    if (posted == null || !posted.kind().equals("response") || !posted.body().contains("\"statusCode\":200")) {
                        throw new IllegalStateException(label + " run " + i + " posted " + posted + "; log:\n"
                                + child.output());
                    }
                    if (i == 1) {
                        System.err.println(label + " first response: " + posted.body());
                    }
                    // CPU time of the whole child (all its threads) until now, just after the answer: on a
                    // shared machine it says what the start-up cost, wall time says what a caller waited.
                    long cpuMs = child.process.info().totalCpuDuration().map(d -> d.toMillis()).orElse(-1L);
                    System.out.println(label + " " + TimeUnit.NANOSECONDS.toMillis(posted.nanoTime() - child.startNanos)
                            + " " + cpuMs);
                }
            }
        }
    }
}
