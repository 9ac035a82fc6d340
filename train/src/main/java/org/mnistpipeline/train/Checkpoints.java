package org.mnistpipeline.train;

import ai.djl.nn.SequentialBlock;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ArchitectureSpec;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.model.WeightsFile.Tensor;

/**
 * Per-epoch checkpoints in a run directory, crash-safe at every step:
 * <pre>
 * run.json                  what is being trained (checked on resume)
 * metrics.jsonl             one EpochMetrics per line
 * checkpoint-0003/          weights, optimiser moments and loop state after epoch 3
 * checkpoint.json           {"epoch": 3, "dir": "checkpoint-0003"}, switched atomically
 * best.safetensors          weights of the best epoch so far
 * </pre>
 * A checkpoint directory is complete before {@code checkpoint.json} points at it, so a kill at any
 * moment leaves the previous checkpoint or the new one.
 */
final class Checkpoints {
    private final Path runDir;
    private final RunInfo info;

    /** What a run trains; a resume must match it. */
    record RunInfo(Hyperparameters hyperparameters, ArchitectureSpec architecture, String dataFingerprint) {}

    /** Loop state after an epoch. */
    record State(int epochsDone, List<EpochMetrics> history, int bestEpoch, double bestValidationAccuracy,
            double trainingSeconds) {
        static State fresh() {
            return new State(0, List.of(), 0, 0, 0);
        }
    }

    private record Pointer(int epoch, String dir) {}

    Checkpoints(Path runDir, Hyperparameters hp, ArchitectureSpec spec, DataFingerprint data) {
        this.runDir = runDir;
        this.info = new RunInfo(hp, spec, data.sha256());
    }

    /** Begins a fresh run: refuses to overwrite a directory that already holds a run. */
    void start() {
        if (Files.exists(runDir.resolve("checkpoint.json"))) {
            throw new MnistException("run directory " + runDir + " already holds a run; pass --resume to continue it"
                    + " or choose another --run-dir");
        }
        Json.writeAtomically(runDir.resolve("run.json"), info);
        AtomicFiles.writeString(runDir.resolve("metrics.jsonl"), "");
    }

    /** Loads the last checkpoint into the network and optimiser; a fresh state if there is none. */
    State restore(SequentialBlock net, Optimizer optimizer) {
        Path pointerFile = runDir.resolve("checkpoint.json");
        if (!Files.exists(pointerFile)) {
            start();
            return State.fresh();
        }
        RunInfo saved = Json.read(runDir.resolve("run.json"), RunInfo.class);
        if (!saved.equals(info)) {
            throw new MnistException("cannot resume " + runDir + ": it was started with other settings or data"
                    + " (saved " + Json.compact(saved.hyperparameters()) + "); use the same flags or a new --run-dir");
        }
        Pointer pointer = Json.read(pointerFile, Pointer.class);
        Path dir = runDir.resolve(pointer.dir());
        NetworkBuilder.importWeights(net, WeightsFile.read(dir.resolve("weights.safetensors")));
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                Files.newInputStream(dir.resolve("optimizer.bin"))))) {
            optimizer.load(in);
        } catch (IOException e) {
            throw new MnistException("checkpoint " + dir + " is unreadable: " + e.getMessage(), e);
        }
        State state = Json.read(dir.resolve("state.json"), State.class);
        // The log may hold lines for an epoch that finished after the last checkpoint: rewrite it.
        StringBuilder lines = new StringBuilder();
        state.history().forEach(m -> lines.append(Json.compact(m)).append('\n'));
        AtomicFiles.writeString(runDir.resolve("metrics.jsonl"), lines.toString());
        return state;
    }

    void save(SequentialBlock net, Optimizer optimizer, State state, boolean best) {
        List<Tensor> weights = NetworkBuilder.exportWeights(net);
        if (best) {
            WeightsFile.write(runDir.resolve("best.safetensors"), weights);
        }
        String name = String.format("checkpoint-%04d", state.epochsDone());
        Path dir = runDir.resolve(name);
        try {
            Files.createDirectories(dir);
            WeightsFile.write(dir.resolve("weights.safetensors"), weights);
            AtomicFiles.write(dir.resolve("optimizer.bin"), out -> {
                DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out));
                optimizer.save(data);
                data.flush();
            });
            Json.writeAtomically(dir.resolve("state.json"), state);
            Files.writeString(runDir.resolve("metrics.jsonl"), Json.compact(state.history().getLast()) + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Json.writeAtomically(runDir.resolve("checkpoint.json"), new Pointer(state.epochsDone(), name));
            deleteOlderThan(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir, e);
        }
    }

    List<Tensor> bestWeights() {
        return new ArrayList<>(WeightsFile.read(runDir.resolve("best.safetensors")).values());
    }

    private void deleteOlderThan(String keep) throws IOException {
        try (Stream<Path> entries = Files.list(runDir)) {
            for (Path old : entries.filter(p -> p.getFileName().toString().startsWith("checkpoint-")
                    && p.getFileName().toString().compareTo(keep) < 0).toList()) {
                FileTrees.delete(old);
            }
        }
    }
}
