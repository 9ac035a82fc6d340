package org.mnistpipeline.cli;

import ai.djl.engine.Engine;
import java.io.PrintStream;
import java.nio.file.Path;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.MnistFetcher;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.train.ConsoleProgress;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.Trainer;

/** What every command needs: where things live, the console, and the engine (started on demand). */
final class Context {
    final Locations locations;
    final PrintStream out;
    final PrintStream err;
    private Engine engine;

    Context(Locations locations, PrintStream out, PrintStream err) {
        this.locations = locations;
        this.out = out;
        this.err = err;
    }

    Engine engine() {
        if (engine == null) {
            engine = Engines.pytorch(locations.djlCache(), err::println);
        }
        return engine;
    }

    /** A trainer on the best device that reports progress to this console. */
    Trainer trainer() {
        Engine e = engine();
        return new Trainer(e, Engines.bestDevice(e), new ConsoleProgress(out, err, ConsoleProgress.stdoutIsTerminal()));
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

    /** The ingested-data store under MNIST_HOME, as the retraining pipeline reads it. */
    org.mnistpipeline.pipeline.BatchStore batchStore() {
        return org.mnistpipeline.pipeline.DataStoreBatches.at(locations.dataStore());
    }

    ModelRegistry registry() {
        return new LocalModelRegistry(locations.registry());
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
