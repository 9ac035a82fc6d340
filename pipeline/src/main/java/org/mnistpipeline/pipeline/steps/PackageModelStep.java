package org.mnistpipeline.pipeline.steps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import org.mnistpipeline.io.TarGz;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.Step;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.aws.TrainingJobs;
import org.mnistpipeline.registry.ModelPackage;

/**
 * Makes the promoted version deployable: its registry package, verified, as one {@code model.tar.gz} under
 * MNIST_HOME ({@value TrainingJobs#MODELS}{@code /<version>/model.tar.gz}), the artefact a SageMaker endpoint
 * unpacks into {@code /opt/ml/model}; and the names and settings the deployment's calls use.
 */
public final class PackageModelStep implements Step<PackageModelStep.Input, PackageModelStep.Output> {
    /** The prediction function's variable that pins the model version its init loads from the registry. */
    public static final String FUNCTION_MODEL_VERSION = "MNIST_MODEL_VERSION";

    public record Input(RetrainRequest request, PromoteStep.Output promote) {}

    /**
     * @param modelDataUrl      where the {@code model.tar.gz} is ({@code s3://...} on AWS)
     * @param modelName         a new SageMaker model name (also the endpoint config's), unique per call
     * @param functionVariables what the prediction function's environment gains: the pinned version
     */
    public record Output(String version, String modelDataUrl, String modelName, Map<String, String> functionVariables) {}

    @Override
    public String name() {
        return "package-model";
    }

    @Override
    public Output run(Input input, StepContext context) {
        String version = input.promote().version();
        ModelPackage model = context.registry().get(version);
        SequencedMap<String, byte[]> entries = new LinkedHashMap<>();
        Path archive = context.workDir().resolve("model-" + version + ".tar.gz");
        try {
            for (String file : model.files()) {
                entries.put(file, Files.readAllBytes(model.file(file)));
            }
            entries.put(ModelPackage.CHECKSUMS, Files.readAllBytes(model.dir().resolve(ModelPackage.CHECKSUMS)));
            Files.createDirectories(archive.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model package " + model.dir(), e);
        }
        TarGz.write(archive, entries);
        String url = context.files().publishAt(TrainingJobs.MODELS + "/" + version + "/model.tar.gz", archive);
        String name = TrainingJobs.uniqueName(version, context.runId());
        context.log().accept("package-model: " + version + " as " + url + " (SageMaker model " + name + ")");
        return new Output(version, url, name, Map.of(FUNCTION_MODEL_VERSION, version));
    }
}
