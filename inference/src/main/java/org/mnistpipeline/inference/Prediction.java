package org.mnistpipeline.inference;

/**
 * One classified image.
 *
 * @param label          the predicted class
 * @param confidence     probability of {@code label}
 * @param probabilities  probability of every class, indexed by label
 * @param modelVersion   registry version of the model that answered (e.g. {@code v7})
 * @param latencyMicros  time spent in the model for this call (shared across a batch)
 */
public record Prediction(int label, float confidence, float[] probabilities, String modelVersion, long latencyMicros) {}
