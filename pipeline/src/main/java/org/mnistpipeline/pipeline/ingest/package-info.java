/**
 * Data ingestion: {@link org.mnistpipeline.pipeline.ingest.DataStore} validates labelled batches
 * (IDX pairs, label folders, images with labels.csv) record by record, quarantines what it refuses
 * with a reason each, and keeps the rest as immutable, content-addressed, numbered batches that
 * training reads back with their checksums verified.
 */
package org.mnistpipeline.pipeline.ingest;
