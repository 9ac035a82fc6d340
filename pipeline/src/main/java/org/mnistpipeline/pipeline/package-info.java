/**
 * The retraining pipeline: steps with JSON input/output contracts, run in process by
 * {@code PipelineRunner} and, on AWS, by a Step Functions state machine that calls the same steps.
 */
package org.mnistpipeline.pipeline;
