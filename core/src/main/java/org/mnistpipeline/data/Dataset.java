package org.mnistpipeline.data;

import java.nio.file.Path;

/**
 * A train/test pair of labelled greyscale images, as read from one IDX directory.
 *
 * @param source      the directory it was read from
 * @param fingerprint identity of the files it was read from
 */
public record Dataset(Path source, LabeledImages train, LabeledImages test, DataFingerprint fingerprint) {

    public Dataset {
        if (train.rows() != test.rows() || train.cols() != test.cols()) {
            throw new DataException("train images are " + train.rows() + "x" + train.cols() + " but test images are "
                    + test.rows() + "x" + test.cols());
        }
        if (train.numClasses() != test.numClasses()) {
            throw new DataException("train and test sets disagree on the number of classes");
        }
    }

    public int numClasses() {
        return train.numClasses();
    }
}
