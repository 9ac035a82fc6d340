package org.mnistpipeline.io;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the project keeps things on a user's machine, with environment overrides. Built from
 * an environment map rather than read from globals, so tests can point everything at a temp dir.
 * The home directory below is {@code $HOME} (see {@link #userHome}).
 *
 * <ul>
 *   <li>{@code MNIST_CACHE_DIR} (default {@code $XDG_CACHE_HOME/mnist-pipeline} or
 *       {@code ~/.cache/mnist-pipeline}): downloads and unpacked natives, safe to delete.</li>
 *   <li>{@code MNIST_DATA_DIR} (default {@code <cache>/data/mnist}): the verified MNIST files.</li>
 *   <li>{@code MNIST_HOME} (default {@code ~/.mnist-pipeline}): the model registry, training runs and
 *       the ingested-data store, the retraining pipeline's runs and the drift-monitoring summaries,
 *       which are not safe to delete.</li>
 * </ul>
 */
public record Locations(Path cacheDir, Path dataDir, Path home) {

    public static Locations fromEnvironment() {
        return from(System.getenv(), userHome(System.getenv(), System.getProperty("user.home")));
    }

    /**
     * The user's home: {@code $HOME} when it is set to an absolute path, else {@code user.home}.
     * The JDK takes {@code user.home} from the password file, not from {@code $HOME}, so
     * {@code HOME=/x mnist demo} would otherwise keep the registry in the real home while the
     * launcher (and every other tool) put the cache under {@code /x}.
     */
    public static Path userHome(Map<String, String> env, String userHomeProperty) {
        String home = env.get("HOME");
        if (home != null && !home.isBlank() && Path.of(home).isAbsolute()) {
            return Path.of(home);
        }
        return Path.of(userHomeProperty);
    }

    public static Locations from(Map<String, String> env, Path userHome) {
        Path cache = env.containsKey("MNIST_CACHE_DIR") ? Path.of(env.get("MNIST_CACHE_DIR"))
                : env.containsKey("XDG_CACHE_HOME") ? Path.of(env.get("XDG_CACHE_HOME"), "mnist-pipeline")
                : userHome.resolve(".cache").resolve("mnist-pipeline");
        Path data = env.containsKey("MNIST_DATA_DIR") ? Path.of(env.get("MNIST_DATA_DIR")) : cache.resolve("data/mnist");
        Path home = env.containsKey("MNIST_HOME") ? Path.of(env.get("MNIST_HOME")) : userHome.resolve(".mnist-pipeline");
        return new Locations(cache, data, home);
    }

    public Path djlCache() {
        return cacheDir.resolve("djl");
    }

    public Path registry() {
        return home.resolve("registry");
    }

    public Path runs() {
        return home.resolve("runs");
    }

    /** The retraining pipeline's run records, work directories, lock and notifications. */
    public Path pipeline() {
        return home.resolve("pipeline");
    }

    /** Ingested labelled batches: versioned, content-addressed, never rewritten. */
    public Path dataStore() {
        return home.resolve("datastore");
    }

    /** Prediction summaries written by the model server, read by {@code mnist monitor}. */
    public Path monitoring() {
        return home.resolve("monitoring");
    }
}
