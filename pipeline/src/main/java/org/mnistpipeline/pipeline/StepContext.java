package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.function.Consumer;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.training.Training;

/**
 * What a step may touch: its run's work directory, the registry, the data store, the training
 * engine (only the train step uses it; the others run without one) and the notifier. Nothing
 * else is shared between steps, which is why they can run in separate processes (or Step
 * Functions tasks) as well as in one.
 */
public record StepContext(String runId, Path workDir, ModelRegistry registry, BatchStore store, RunStore runs,
        Training training, Notifier notifier, DriftCheck drift, Consumer<String> log) {}
