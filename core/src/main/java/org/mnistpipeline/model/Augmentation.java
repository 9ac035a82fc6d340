package org.mnistpipeline.model;

/**
 * Random affine augmentation applied to training images only (never to validation or test).
 *
 * @param rotationDegrees maximum rotation either way
 * @param shiftPixels     maximum translation either way, in pixels
 * @param scale           maximum relative zoom either way (0.1 = 90%..110%)
 */
public record Augmentation(float rotationDegrees, float shiftPixels, float scale) {
    public Augmentation {
        if (rotationDegrees < 0 || shiftPixels < 0 || scale < 0 || scale >= 0.5f) {
            throw new IllegalArgumentException("augmentation amounts must be >= 0 and scale < 0.5");
        }
    }

    public static Augmentation none() {
        return new Augmentation(0, 0, 0);
    }

    /** A one-knob family for tuning: strength 1 = 10°, 2 px, 10%. */
    public static Augmentation ofStrength(float strength) {
        return new Augmentation(10 * strength, 2 * strength, 0.1f * strength);
    }

    public boolean enabled() {
        return rotationDegrees > 0 || shiftPixels > 0 || scale > 0;
    }
}
