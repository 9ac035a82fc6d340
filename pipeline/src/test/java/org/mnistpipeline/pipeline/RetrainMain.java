package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.pipeline.RunStore.RunRecord;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.train.DjlTraining;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.TrainingListener;
import org.mnistpipeline.training.Training;

/**
 * {@code RetrainMain HOME BATCH [CRASH_POINT]}: one {@code mnist retrain --source BATCH} in a child
 * JVM, on {@code HOME/registry}, {@code HOME/datastore} and {@code HOME/pipeline}. With a crash
 * point ("train started", "register done", …) it blocks there to be killed (see {@link ChildJvm});
 * a run left unfinished is resumed by the next one, as {@code mnist retrain} does.
 */
public final class RetrainMain {
    private RetrainMain() {}

    public static void main(String[] args) {
        Path home = Path.of(args[0]);
        String crashAt = args.length > 2 ? args[2] : null;
        Training training = Training.lazy(() -> new DjlTraining(Engines.pytorch(Locations.fromEnvironment().djlCache(),
                System.err::println), new TrainingListener() {}));
        PipelineRunner runner = new PipelineRunner(PipelineHome.local(home.resolve("pipeline")),
                new LocalModelRegistry(home.resolve("registry")), DataStoreBatches.at(home.resolve("datastore")),
                training, Notifier.of(home.resolve("pipeline/notifications.jsonl"), null), DriftCheck.NONE,
                System.out::println, point -> {
                    if (point.equals(crashAt)) {
                        ChildJvm.reachedAndBlock(point);
                    }
                });
        RunRecord run = runner.run(RetrainRequest.builder().sources(List.of(args[1])).reason("crash test")
                .fallbackToFull(true).minNewImages(1000).build());
        System.out.println("outcome " + run.outcome() + " run " + run.id());
    }
}
