package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.training.TrainingArtifact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mnist train}: train, evaluate on the test set, package and register a model. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a CNN (default: the strong preset), evaluate it on the test set, write its report,"
                + " and register it as a new model version.")
final class TrainCommand extends MnistSubcommand {
    @Mixin
    HyperparameterOptions hyperparameters;

    @Option(names = "--data", description = "IDX dataset directory (default: MNIST, fetched into the cache).")
    Path data;

    @Option(names = "--run-dir", description = "Where checkpoints and logs go (default: $MNIST_HOME/runs/<time>).")
    Path runDir;

    @Option(names = "--resume", description = "Continue the run in --run-dir from its last checkpoint.")
    boolean resume;

    @Option(names = "--promote", description = "Promote the new model to the production alias.")
    boolean promote;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Option(names = "--quantize", paramLabel = "int8",
            description = "Also export int8 weights (model-int8.onnx); refused if test accuracy drops more than"
                    + " --quantize-tolerance points.")
    String quantize;

    @Option(names = "--quantize-tolerance", defaultValue = "0.1", paramLabel = "POINTS",
            description = "Largest accepted test-accuracy loss for int8, in percentage points (default: ${DEFAULT-VALUE}).")
    double quantizeTolerance;

    @Override
    public Integer call() {
        Context context = root.context;
        Hyperparameters hp = hyperparameters.resolve("strong");
        if (quantize != null && !quantize.equalsIgnoreCase("int8")) {
            throw new IllegalArgumentException("--quantize supports int8 only, not '" + quantize + "'");
        }
        if (resume && runDir == null) {
            throw new IllegalArgumentException("--resume needs --run-dir naming the run to continue");
        }
        Path dir = runDir != null ? runDir : defaultRunDir(context, hp);
        Dataset dataset = context.dataset(data);
        TrainingArtifact artifact = context.training().train(dataset, hp, dir, resume, null);
        ReleaseSummary release = ReleaseSummary.release(context, dataset, artifact, dir,
                new ReleaseSummary.Quantize(quantize != null, quantizeTolerance));
        if (promote) {
            release.promote(context);
        }
        release.print(context, json);
        return 0;
    }

    static Path defaultRunDir(Context context, Hyperparameters hp) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return context.locations.runs().resolve(stamp + "-" + hp.architecture());
    }
}
