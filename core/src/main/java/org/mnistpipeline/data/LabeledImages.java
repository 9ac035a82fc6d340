package org.mnistpipeline.data;

import java.util.Arrays;

/**
 * Greyscale images with integer labels, kept as compact unsigned bytes (0 = paper, 255 = ink,
 * the MNIST convention). 60,000 MNIST images take 47 MB this way.
 *
 * @param pixels row-major pixels of all images, {@code count * rows * cols} bytes
 * @param labels one label per image, each in {@code [0, numClasses)}
 */
public record LabeledImages(byte[] pixels, byte[] labels, int rows, int cols, int numClasses) {

    public LabeledImages {
        if (rows <= 0 || cols <= 0) {
            throw new DataException("image size must be positive, got " + rows + "x" + cols);
        }
        if ((long) labels.length * rows * cols != pixels.length) {
            throw new DataException("pixel buffer holds " + pixels.length + " bytes, expected "
                    + ((long) labels.length * rows * cols) + " for " + labels.length + " images of " + rows + "x" + cols);
        }
        if (numClasses < 1 || numClasses > 256) {
            throw new DataException("number of classes must be in 1..256, got " + numClasses);
        }
        for (byte label : labels) {
            if ((label & 0xff) >= numClasses) {
                throw new DataException("label " + (label & 0xff) + " outside [0, " + numClasses + ")");
            }
        }
    }

    /** Builds from image and label arrays, checking that they describe the same images. */
    public static LabeledImages of(Idx.IdxArray images, Idx.IdxArray labels, String name) {
        if (images.dims().length != 3) {
            throw new DataException(name + ": image file must have 3 dimensions (count, rows, cols), has "
                    + images.dims().length);
        }
        if (labels.dims().length != 1) {
            throw new DataException(name + ": label file must have 1 dimension, has " + labels.dims().length);
        }
        if (images.count() != labels.count()) {
            throw new DataException(name + ": " + images.count() + " images but " + labels.count() + " labels");
        }
        int maxLabel = 0;
        for (byte label : labels.data()) {
            maxLabel = Math.max(maxLabel, label & 0xff);
        }
        return new LabeledImages(images.data(), labels.data(), images.dims()[1], images.dims()[2], maxLabel + 1);
    }

    public int size() {
        return labels.length;
    }

    public int pixelsPerImage() {
        return rows * cols;
    }

    public int label(int index) {
        return labels[index] & 0xff;
    }

    /** Copies one image into {@code out} as floats in [0, 1]. */
    public void imageAsFloats(int index, float[] out, int offset) {
        int n = pixelsPerImage();
        int base = index * n;
        for (int i = 0; i < n; i++) {
            out[offset + i] = (pixels[base + i] & 0xff) * (1f / 255f);
        }
    }

    /** The images at {@code indices}, in that order. */
    public LabeledImages select(int[] indices) {
        int n = pixelsPerImage();
        byte[] newPixels = new byte[indices.length * n];
        byte[] newLabels = new byte[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * n, newPixels, i * n, n);
            newLabels[i] = labels[indices[i]];
        }
        return new LabeledImages(newPixels, newLabels, rows, cols, numClasses);
    }

    /** All images of {@code parts}, in order; the parts must agree on size and classes. */
    public static LabeledImages concat(java.util.List<LabeledImages> parts) {
        if (parts.isEmpty()) {
            throw new DataException("nothing to concatenate");
        }
        LabeledImages first = parts.getFirst();
        int images = 0;
        int classes = 0;
        for (LabeledImages part : parts) {
            if (part.rows != first.rows || part.cols != first.cols) {
                throw new DataException("cannot join " + part.rows + "x" + part.cols + " images with " + first.rows
                        + "x" + first.cols + " images");
            }
            images += part.size();
            classes = Math.max(classes, part.numClasses);
        }
        byte[] pixels = new byte[images * first.pixelsPerImage()];
        byte[] labels = new byte[images];
        int at = 0;
        for (LabeledImages part : parts) {
            System.arraycopy(part.pixels, 0, pixels, at * first.pixelsPerImage(), part.pixels.length);
            System.arraycopy(part.labels, 0, labels, at, part.labels.length);
            at += part.size();
        }
        return new LabeledImages(pixels, labels, first.rows, first.cols, classes);
    }

    /** The first {@code count} images (all if fewer). */
    public LabeledImages head(int count) {
        int k = Math.min(count, size());
        return new LabeledImages(Arrays.copyOf(pixels, k * pixelsPerImage()), Arrays.copyOf(labels, k), rows, cols,
                numClasses);
    }

    /** Images per class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (byte label : labels) {
            counts[label & 0xff]++;
        }
        return counts;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabeledImages other && rows == other.rows && cols == other.cols
                && numClasses == other.numClasses && Arrays.equals(pixels, other.pixels)
                && Arrays.equals(labels, other.labels);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(labels) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "LabeledImages[" + size() + " images " + rows + "x" + cols + ", " + numClasses + " classes]";
    }
}
