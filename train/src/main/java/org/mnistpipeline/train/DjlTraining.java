package org.mnistpipeline.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest.DataInfo;
import org.mnistpipeline.model.WeightsFile.Tensor;
import org.mnistpipeline.training.Training;
import org.mnistpipeline.training.TrainingArtifact;
import org.mnistpipeline.training.TrainingInfo;

/**
 * {@link Training} on DJL's PyTorch engine, on the best device it finds: the {@link Trainer}'s
 * result turned into a {@link TrainingArtifact}, with the engine, device, JVM and OS it was
 * trained on recorded as provenance.
 */
public final class DjlTraining implements Training {
    /** The project's release, recorded in every artefact. */
    public static final String VERSION = "0.1.0";

    private final Engine engine;
    private final Device device;
    private final Trainer trainer;

    public DjlTraining(Engine engine, TrainingListener listener) {
        this.engine = engine;
        this.device = Engines.bestDevice(engine);
        this.trainer = new Trainer(engine, device, listener);
    }

    @Override
    public TrainingArtifact train(Dataset dataset, Hyperparameters hp, Path runDir, boolean resume,
            Map<String, Tensor> warmStart) {
        TrainingResult result = trainer.train(dataset, hp, runDir, resume, warmStart);
        TrainingArtifact artifact = artifact(dataset, result, provenance(result.device()));
        artifact.write(runDir.resolve(ARTIFACT_DIR));
        return artifact;
    }

    /** The artefact of a finished {@link Trainer} run. */
    public static TrainingArtifact artifact(Dataset dataset, TrainingResult result, Map<String, String> provenance) {
        DataInfo data = new DataInfo(dataset.source().toString(), dataset.fingerprint(),
                result.split().train().size(), result.split().validation().size(), dataset.test().size(),
                dataset.numClasses());
        return TrainingArtifact.of(new TrainingInfo(TrainingInfo.FORMAT_VERSION, result.spec(),
                result.hyperparameters(), data, result.history(), result.bestEpoch(), result.bestValidationAccuracy(),
                result.stoppedEarly(), result.trainingSeconds(), provenance), result.weights());
    }

    /** Library, engine, device, JVM and OS: floating-point results depend on each of them. */
    private Map<String, String> provenance(String deviceName) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("mnist-pipeline", VERSION);
        p.put("djl", Engine.getDjlVersion());
        p.put("engine", engine.getEngineName() + " " + engine.getVersion());
        p.put("device", deviceName);
        p.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        p.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        return p;
    }
}
