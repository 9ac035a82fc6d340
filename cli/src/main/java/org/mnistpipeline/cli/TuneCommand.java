package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.Trainer;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.train.Tuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mnist tune}: random hyperparameter search scored on the validation split. */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Random search over learning rate, batch size, dropout, width and augmentation strength."
                + " Each trial is short and scored on the validation split; the results table is printed and"
                + " saved, and the best settings are saved as a preset for `mnist train --preset FILE`.")
final class TuneCommand extends MnistSubcommand {
    @Mixin
    HyperparameterOptions hyperparameters;

    @Option(names = "--data", description = "IDX dataset directory (default: MNIST, fetched into the cache).")
    Path data;

    @Option(names = "--trials", defaultValue = "8", description = "Trial budget (default: ${DEFAULT-VALUE}).")
    int trials;

    @Option(names = "--trial-epochs", defaultValue = "1", description = "Epochs per trial (default: ${DEFAULT-VALUE}).")
    int trialEpochs;

    @Option(names = "--trial-images", defaultValue = "20000",
            description = "Training images per trial (default: ${DEFAULT-VALUE}).")
    int trialImages;

    @Option(names = "--out", description = "Where results and the preset go (default: $MNIST_HOME/tune/<time>).")
    Path out;

    @Override
    public Integer call() {
        Context context = root.context;
        Hyperparameters base = hyperparameters.resolve("strong");
        Dataset dataset = context.dataset(data);
        Path dir = out != null ? out : context.locations.home().resolve("tune")
                .resolve(TrainCommand.defaultRunDir(context, base).getFileName());
        var engine = context.engine();
        Trainer trainer = new Trainer(engine, Engines.bestDevice(engine), new TrainingListener() {});
        context.out.printf("%-5s %-10s %-6s %-7s %-6s %-8s %-9s %s%n", "TRIAL", "LR", "BATCH", "DROPOUT", "WIDTH",
                "AUGMENT", "VAL ACC", "SECONDS");
        List<Tuner.Trial> results = new Tuner(trainer).search(dataset, base,
                new Tuner.Budget(trials, trialEpochs, trialImages, base.seed()), dir.resolve("trials"),
                t -> context.out.println(row(t)));
        Tuner.Trial best = results.getFirst();
        Hyperparameters preset = Tuner.asPreset(best, base);
        Json.writeAtomically(dir.resolve("results.json"), results);
        StringBuilder csv = new StringBuilder("trial,lr,batch_size,dropout,width,augment_rotation,val_accuracy,seconds\n");
        for (Tuner.Trial t : results) {
            Hyperparameters h = t.hyperparameters();
            csv.append(String.format(Locale.ROOT, "%d,%g,%d,%.2f,%.2f,%.1f,%.4f,%.1f%n", t.number(), h.learningRate(),
                    h.batchSize(), h.dropout(), h.width(), h.augmentation().rotationDegrees(), t.validationAccuracy(),
                    t.seconds()));
        }
        AtomicFiles.writeString(dir.resolve("results.csv"), csv.toString());
        Path presetFile = dir.resolve("best-preset.json");
        Json.writeAtomically(presetFile, preset);
        try {
            org.mnistpipeline.io.FileTrees.delete(dir.resolve("trials"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot clear " + dir.resolve("trials"), e);
        }
        context.out.println();
        context.out.println("best: " + row(best).strip());
        context.out.println("results: " + dir.resolve("results.csv"));
        context.out.println("preset:  " + presetFile + "  (use: mnist train --preset " + presetFile + ")");
        return 0;
    }

    private static String row(Tuner.Trial t) {
        Hyperparameters h = t.hyperparameters();
        return String.format(Locale.ROOT, "%-5d %-10.2e %-6d %-7.2f %-6.2f %-8.1f %-9.4f %.0f", t.number(),
                h.learningRate(), h.batchSize(), h.dropout(), h.width(), h.augmentation().rotationDegrees() / 10,
                t.validationAccuracy(), t.seconds());
    }
}
