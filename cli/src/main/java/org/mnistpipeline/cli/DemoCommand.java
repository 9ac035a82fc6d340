package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.training.TrainingArtifact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mnist demo}: the whole job end to end on embedded defaults. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Fetch MNIST, train the fast preset, evaluate, register and promote to production,"
                + " then print a summary.")
final class DemoCommand extends MnistSubcommand {
    @Mixin
    HyperparameterOptions hyperparameters;

    @Option(names = "--data", description = "IDX dataset directory (default: MNIST, fetched into the cache).")
    Path data;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Context context = root.context;
        long start = System.nanoTime();
        context.err.println("[1/4] data");
        Dataset dataset = context.dataset(data);
        Hyperparameters hp = hyperparameters.resolve("fast");
        context.err.println("[2/4] training " + hp.architecture() + " for " + hp.epochs() + " epochs");
        Path runDir = TrainCommand.defaultRunDir(context, hp);
        TrainingArtifact artifact = context.training().train(dataset, hp, runDir, false, null);
        context.err.println("[3/4] evaluating and registering");
        ReleaseSummary release = ReleaseSummary.release(context, dataset, artifact, runDir,
                ReleaseSummary.Quantize.OFF);
        context.err.println("[4/4] promoting " + release.version() + " to production");
        release.promote(context);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            Map<String, Object> summary = new java.util.LinkedHashMap<>(release.summary());
            summary.put("total_seconds", seconds);
            context.out.println(Json.pretty(summary));
        } else {
            release.print(context, false);
            context.out.printf(Locale.ROOT, "demo finished in %.0f s%n", seconds);
        }
        return 0;
    }
}
