package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RetrainRequest;
import org.mnistpipeline.pipeline.StepContext;
import org.mnistpipeline.pipeline.aws.TrainingJobs;
import org.mnistpipeline.training.TrainingArtifact;

/**
 * A retraining run's training as a SageMaker training job: the {@code stage-training} step computes the plan once
 * and stages it under MNIST_HOME as channels and hyperparameters; {@code mnist sagemaker-train} runs on an
 * /opt/ml tree built from those channels, as SageMaker builds it; the artefact it leaves (as SageMaker's
 * {@code model.tar.gz}) is collected and evaluated by the pipeline's steps. On real MNIST (a champion trained on
 * 5,000 images, a batch of 2,000 new thick-stroke digits), the job trains exactly what the pipeline's own train
 * step trains from the same state: the same recipe, data identity, epochs and weights.
 */
class SageMakerPipelineJobTest {
    @TempDir
    Path tmp;

    @Test
    void aStagedIncrementalPlanTrainsInTheJobExactlyAsTheTrainStepTrainsIt() throws Exception {
        Path home = RetrainFixture.championIn(tmp.resolve("home"));
        Path batch = RetrainFixture.batch(tmp.resolve("batch"), 50_000, 2000, "thick");
        ObjectNode state = RetrainFixture.state(RetrainRequest.builder().sources(List.of(batch.toString()))
                .reason("test").build());
        StepContext steps = RetrainFixture.steps(home, "run_2026-12-03.a");
        for (String step : List.of("ingest", "validate", "decide")) {
            RetrainFixture.run(step, state, steps, step);
        }
        assertThat(state.at("/decide/mode").asText()).isEqualTo("INCREMENTAL");

        JsonNode staged = RetrainFixture.run("stage-training", state, steps, "trainingJob");
        String job = staged.get("jobName").asText();
        assertThat(job).matches("mnist-inc-run-2026-12-03-a-[0-9a-f]{8}");
        assertThat(staged.at("/channels/train").asText()).isEqualTo(home.resolve(TrainingJobs.JOBS).resolve(job)
                .resolve("train").toString());
        assertThat(staged.get("newImages").asInt()).isEqualTo(1600);
        assertThat(staged.get("replayImages").asInt()).isEqualTo(2400);

        // /opt/ml as SageMaker lays it out for this job's channels and hyperparameters.
        Path optMl = tmp.resolve("opt/ml");
        for (String channel : List.of(TrainingJobs.TRAIN, TrainingJobs.CHAMPION)) {
            FileTrees.copy(Path.of(staged.at("/channels/" + channel).asText()),
                    optMl.resolve("input/data").resolve(channel));
        }
        Files.createDirectories(optMl.resolve("input/config"));
        Files.writeString(optMl.resolve("input/config/hyperparameters.json"), Json.compact(staged.get("hyperparameters")));
        Files.createDirectories(optMl.resolve("model"));
        Files.createDirectories(optMl.resolve("checkpoints"));

        var trained = new CliRunner(tmp.resolve("job-home")).run("sagemaker-train", "--opt-ml", optMl.toString());

        assertThat(trained.exitCode()).as(trained.err()).isZero();
        assertThat(trained.out()).contains("training artefact written to");
        TrainingArtifact fromJob = TrainingArtifact.read(optMl.resolve("model"));

        // The train step on the same state, in this process.
        JsonNode local = RetrainFixture.run("train", state.deepCopy(), steps, "train");
        TrainingArtifact fromStep = TrainingArtifact.read(Path.of(local.get("artifact").asText()));
        assertThat(fromJob.info().hyperparameters()).isEqualTo(fromStep.info().hyperparameters());
        assertThat(fromJob.info().data()).isEqualTo(fromStep.info().data());
        assertThat(fromJob.info().data().fingerprint().sha256()).isEqualTo(staged.get("fingerprint").asText());
        assertThat(fromJob.info().architecture()).isEqualTo(fromStep.info().architecture());
        assertThat(fromJob.info().history()).hasSameSizeAs(fromStep.info().history());
        assertThat(fromJob.info().bestValidationAccuracy()).isEqualTo(fromStep.info().bestValidationAccuracy());
        assertSameWeights(fromJob, fromStep);

        // SageMaker stores /opt/ml/model as <output>/<job>/output/model.tar.gz; the pipeline collects it from there.
        Path archive = Path.of(staged.get("outputPath").asText()).resolve(job).resolve("output/model.tar.gz");
        tar(optMl.resolve("model"), archive);
        ObjectNode collect = state.deepCopy();
        collect.putObject("train").put("jobName", job).put("modelArtifacts", archive.toString());
        JsonNode collected = RetrainFixture.run("collect-training", collect, steps, "train");
        for (String field : List.of("mode", "parent", "lineage", "trainImages", "newImages", "replayImages", "epochs",
                "validationAccuracy")) {
            assertThat(collected.get(field)).as(field).isEqualTo(local.get(field));
        }
        assertThat(collected.get("artifact").asText()).isEqualTo(archive.toString());

        // Evaluation reads the archive as it reads the train step's directory, and scores the same weights alike.
        JsonNode evaluatedJob = RetrainFixture.run("evaluate", collect, RetrainFixture.steps(home, "job"), "evaluate");
        ObjectNode viaStep = state.deepCopy();
        viaStep.set("train", local);
        JsonNode evaluatedStep = RetrainFixture.run("evaluate", viaStep, RetrainFixture.steps(home, "step"), "evaluate");
        assertThat(evaluatedJob.get("challenger")).isEqualTo(evaluatedStep.get("challenger"));

        // An artefact of another job, or trained on other data than staged, is refused.
        ObjectNode otherJob = collect.deepCopy();
        ((ObjectNode) otherJob.get("train")).put("jobName", "mnist-inc-someone-else-00000000");
        ((ObjectNode) otherJob.get("train")).put("modelArtifacts", archive.toString());
        assertThatThrownBy(() -> RetrainFixture.run("collect-training", otherJob, steps, "train"))
                .hasMessageContaining("is not the one staged");
        ObjectNode otherData = collect.deepCopy();
        otherData.putObject("train").put("jobName", job).put("modelArtifacts", archive.toString());
        ((ObjectNode) otherData.get("trainingJob")).put("fingerprint", "0".repeat(64));
        assertThatThrownBy(() -> RetrainFixture.run("collect-training", otherData, steps, "train"))
                .hasMessageContaining("not the staged plan's");
    }

    @Test
    void anIncrementalPlanWithoutItsChampionChannelFailsWithTheReasonInTheFailureFile() throws Exception {
        Path home = RetrainFixture.championIn(tmp.resolve("home"));
        Path batch = RetrainFixture.batch(tmp.resolve("batch"), 52_000, 1200, null);
        ObjectNode state = RetrainFixture.state(RetrainRequest.builder().sources(List.of(batch.toString()))
                .reason("test").build());
        StepContext steps = RetrainFixture.steps(home, "run-b");
        for (String step : List.of("ingest", "validate", "decide", "stage-training")) {
            RetrainFixture.run(step, state, steps, step.equals("stage-training") ? "trainingJob" : step);
        }
        Path optMl = tmp.resolve("opt/ml");
        FileTrees.copy(Path.of(state.at("/trainingJob/channels/train").asText()), optMl.resolve("input/data/train"));
        Files.createDirectories(optMl.resolve("input/config"));
        Files.writeString(optMl.resolve("input/config/hyperparameters.json"),
                Json.compact(state.at("/trainingJob/hyperparameters")));

        var r = new CliRunner(tmp.resolve("job-home")).run("sagemaker-train", "--opt-ml", optMl.toString());

        assertThat(r.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(Files.readString(optMl.resolve("output/failure"))).startsWith("an incremental plan needs the"
                + " champion's package");
        assertThat(optMl.resolve("model")).doesNotExist();
    }

    private static void assertSameWeights(TrainingArtifact a, TrainingArtifact b) {
        assertThat(a.weights().keySet()).containsExactlyElementsOf(b.weights().keySet());
        for (String name : a.weights().keySet()) {
            assertThat(a.weights().get(name).shape()).as(name).isEqualTo(b.weights().get(name).shape());
            assertThat(a.weights().get(name).data()).as(name).isEqualTo(b.weights().get(name).data());
        }
    }

    /** What SageMaker does with /opt/ml/model: one gzipped tar of its contents. */
    static void tar(Path dir, Path archive) throws Exception {
        Files.createDirectories(archive.getParent());
        Process p = new ProcessBuilder("tar", "-czf", archive.toString(), "-C", dir.toString(), ".")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
    }
}
