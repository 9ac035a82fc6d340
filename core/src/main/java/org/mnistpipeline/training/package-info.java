/**
 * Training as the rest of the system sees it, engine-free: the {@link org.mnistpipeline.training.Training}
 * interface and the self-contained {@link org.mnistpipeline.training.TrainingArtifact} it produces.
 */
package org.mnistpipeline.training;
