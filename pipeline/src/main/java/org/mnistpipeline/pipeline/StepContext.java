package org.mnistpipeline.pipeline;

import java.nio.file.Path;
import java.util.function.Consumer;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.training.Training;

/**
 * What a step may touch: its run's work directory (local), the registry, the data store, the
 * training engine (only the train step uses it; the others run without one), the notifier, and
 * {@code files}, through which a step hands what it wrote to later steps. Nothing else is shared
 * between steps, which is why they can run in separate processes, on separate machines (or as
 * Step Functions tasks) as well as in one.
 */
public record StepContext(String runId, Path workDir, ModelRegistry registry, BatchStore store, RunStore runs,
        Training training, Notifier notifier, DriftCheck drift, Consumer<String> log, RunFiles files) {}
