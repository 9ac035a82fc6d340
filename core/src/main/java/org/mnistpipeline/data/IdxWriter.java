package org.mnistpipeline.data;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import org.mnistpipeline.io.AtomicFiles;

/** Writes labelled images as an IDX pair ({@code <prefix>-images-idx3-ubyte}, {@code <prefix>-labels-idx1-ubyte}). */
public final class IdxWriter {
    private IdxWriter() {}

    /** Writes both files atomically into {@code dir}; {@code prefix} is e.g. {@code train} or {@code t10k}. */
    public static void write(Path dir, String prefix, LabeledImages images) {
        AtomicFiles.write(dir.resolve(prefix + "-images-idx3-ubyte"), out -> {
            DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
            data.writeInt(0x00000803);
            data.writeInt(images.size());
            data.writeInt(images.rows());
            data.writeInt(images.cols());
            data.write(images.pixels());
            data.flush();
        });
        AtomicFiles.write(dir.resolve(prefix + "-labels-idx1-ubyte"), out -> {
            DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
            data.writeInt(0x00000801);
            data.writeInt(images.size());
            data.write(images.labels());
            data.flush();
        });
    }

    /** A train/test dataset directory that {@link IdxDirectory#load} reads back. */
    public static void writeDataset(Path dir, LabeledImages train, LabeledImages test) {
        write(dir, "train", train);
        write(dir, "t10k", test);
    }
}
