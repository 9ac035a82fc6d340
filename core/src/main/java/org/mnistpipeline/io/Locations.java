package org.mnistpipeline.io;

import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.store.ObjectPath;

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
 *       which are not safe to delete. {@code MNIST_HOME=s3://bucket/prefix} keeps the registry, the
 *       data store, the pipeline's runs and lease and the drift summaries under that prefix instead
 *       ({@link #sharedHome()}); then {@link #home()} is scratch space in the cache (checkpoints,
 *       downloads), and the accessors of the shared stores refuse, so nothing writes them to disk.</li>
 * </ul>
 *
 * @param sharedHome the object prefix MNIST_HOME names, or null for a local home
 */
public record Locations(Path cacheDir, Path dataDir, Path home, ObjectPath sharedHome) {

    /** A local home. */
    public Locations(Path cacheDir, Path dataDir, Path home) {
        this(cacheDir, dataDir, home, null);
    }

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
        String home = env.get("MNIST_HOME");
        if (ObjectPath.isUri(home)) {
            ObjectPath shared = ObjectPath.parse(home);
            return new Locations(cache, data, scratchFor(cache, shared), shared);
        }
        return new Locations(cache, data, home != null ? Path.of(home) : userHome.resolve(".mnist-pipeline"));
    }

    /** Scratch space of a shared home: one directory per bucket and prefix, so two homes never mix. */
    public static Path scratchFor(Path cacheDir, ObjectPath shared) {
        Path dir = cacheDir.resolve("s3").resolve(shared.bucket());
        return shared.key().isEmpty() ? dir.resolve("_") : dir.resolve(shared.key());
    }

    /** True when MNIST_HOME is an object prefix. */
    public boolean shared() {
        return sharedHome != null;
    }

    public Path djlCache() {
        return cacheDir.resolve("djl");
    }

    public Path registry() {
        return local("the model registry").resolve("registry");
    }

    /** Training runs of {@code mnist train} (checkpoints, logs): scratch in the cache when the home is shared. */
    public Path runs() {
        return home.resolve("runs");
    }

    /** The retraining pipeline's run records, work directories, lock and notifications. */
    public Path pipeline() {
        return local("the retraining pipeline's runs").resolve("pipeline");
    }

    /** Ingested labelled batches: versioned, content-addressed, never rewritten. */
    public Path dataStore() {
        return local("the data store").resolve("datastore");
    }

    /** Prediction summaries written by the model server, read by {@code mnist monitor}. */
    public Path monitoring() {
        return local("the drift summaries").resolve("monitoring");
    }

    /**
     * The home directory for a store that lives there; refused when the home is shared, so a store
     * that was not switched to the object store fails loudly instead of writing to local disk.
     */
    private Path local(String what) {
        if (sharedHome != null) {
            throw new IllegalStateException(what + " of MNIST_HOME=" + sharedHome + " is in the object store, not"
                    + " on local disk; this code path has no S3 implementation");
        }
        return home;
    }
}
