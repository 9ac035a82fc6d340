package org.mnistpipeline.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.Trainer;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.train.TrainingResult;

/**
 * Training throughput of the production training loop (data preparation, forward, backward,
 * optimiser, bookkeeping) on real MNIST, for side-by-side comparison with PyTorch from Python.
 * Usage: {@code TrainThroughput ARCH BATCH IMAGES OUT.json}. Runs one warm-up epoch on a slice,
 * then the measured epoch.
 */
public final class TrainThroughput {
    public static void main(String[] args) throws Exception {
        String arch = args[0];
        int batch = Integer.parseInt(args[1]);
        int images = Integer.parseInt(args[2]);
        Path out = Path.of(args[3]);
        Locations locations = Locations.fromEnvironment();
        var engine = Engines.pytorch(locations.djlCache(), System.err::println);
        Dataset data = IdxDirectory.load(locations.dataDir());
        // SGD with momentum: as cheap per step as the baseline's Adadelta, so the comparison is the network.
        Hyperparameters hp = new Hyperparameters(arch, 1f, 0.25f, 1, batch, Hyperparameters.Optimizer.SGD, 0.01f, 0f,
                0.9f, Hyperparameters.Schedule.CONSTANT, 0f, 0f, Augmentation.none(), 0, 0, images, 1L);
        Trainer trainer = new Trainer(engine, Engines.bestDevice(engine), new TrainingListener() {});
        Path tmp = Files.createTempDirectory("throughput");
        trainer.train(data, hp.withMaxTrainImages(Math.min(images, 20 * batch)), tmp.resolve("warmup"), false, null);
        TrainingResult result = trainer.train(data, hp, tmp.resolve("measured"), false, null);
        double ips = result.history().getFirst().imagesPerSecond();
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("engine", "DJL " + ai.djl.engine.Engine.getDjlVersion() + " / " + engine.getEngineName() + " "
                + engine.getVersion());
        record.put("architecture", arch);
        record.put("batch_size", batch);
        record.put("images", images);
        record.put("train_images_per_s", ips);
        record.put("epoch_seconds", result.history().getFirst().seconds());
        Json.writeAtomically(out, record);
        System.out.printf(Locale.ROOT, "java %s batch %d: %.0f images/s%n", arch, batch, ips);
    }
}
