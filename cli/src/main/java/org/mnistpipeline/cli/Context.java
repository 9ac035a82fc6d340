package org.mnistpipeline.cli;

import ai.djl.engine.Engine;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.MnistFetcher;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.pipeline.PipelineStores;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.HomeStores;
import org.mnistpipeline.train.ConsoleProgress;
import org.mnistpipeline.train.Engines;

/**
 * What every command needs: where things live (the stores of MNIST_HOME, on disk or in S3), the
 * console, and the engine (started on demand).
 */
final class Context {
    final Locations locations;
    /** The environment: the S3 client of an s3:// MNIST_HOME is configured from it. */
    final Map<String, String> env;
    final PrintStream out;
    final PrintStream err;
    private final HomeStores home;
    private Engine engine;

    Context(Locations locations, PrintStream out, PrintStream err) {
        this(locations, System.getenv(), out, err);
    }

    Context(Locations locations, Map<String, String> env, PrintStream out, PrintStream err) {
        this.locations = locations;
        this.env = env;
        this.out = out;
        this.err = err;
        this.home = new HomeStores(locations, () -> S3Objects.fromEnvironment(env));
    }

    /** The stores MNIST_HOME names: a directory, or an s3:// prefix. */
    HomeStores home() {
        return home;
    }

    /** The pipeline's stores of MNIST_HOME: the data store, runs, lock, hand-overs between steps. */
    PipelineStores pipelineStores() {
        return new PipelineStores(home);
    }

    Engine engine() {
        if (engine == null) {
            engine = Engines.pytorch(locations.djlCache(), err::println);
        }
        return engine;
    }

    /**
     * Training on DJL, reporting progress to this console. Lazy: the engine (and every DJL class) is
     * loaded only when something trains, so commands and pipeline steps that do not train run
     * without DJL on the class path.
     */
    org.mnistpipeline.training.Training training() {
        return org.mnistpipeline.training.Training.lazy(() -> new org.mnistpipeline.train.DjlTraining(engine(),
                new ConsoleProgress(out, err, ConsoleProgress.stdoutIsTerminal())));
    }

    /** The pipeline's training: progress goes to stderr, since a step's stdout is its output JSON. */
    org.mnistpipeline.training.Training pipelineTraining() {
        return org.mnistpipeline.training.Training.lazy(() -> new org.mnistpipeline.train.DjlTraining(engine(),
                new ConsoleProgress(err, err, false)));
    }

    /** The registry of MNIST_HOME; opening it needs read access only. */
    ModelRegistry registry() {
        return home.registry();
    }

    /** The drift summaries in {@code dir}, or those of MNIST_HOME when it is null. */
    SummaryStore summaries(Path dir) {
        return dir != null ? SummaryStore.local(dir) : home.summaries();
    }

    /** The dataset in {@code dataDir}, or MNIST fetched into the cache when none is given. */
    Dataset dataset(Path dataDir) {
        if (dataDir != null) {
            return IdxDirectory.load(dataDir);
        }
        Path dir = MnistFetcher.withDefaultSources(err::println).fetch(locations.dataDir());
        return IdxDirectory.load(dir);
    }
}
