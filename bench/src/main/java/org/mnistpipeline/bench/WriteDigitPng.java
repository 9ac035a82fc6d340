package org.mnistpipeline.bench;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Locations;

/** Writes the first MNIST test digit as a 28x28 greyscale PNG (the HTTP benchmark's request body). */
public final class WriteDigitPng {
    public static void main(String[] args) throws Exception {
        LabeledImages test = IdxDirectory.load(Locations.fromEnvironment().dataDir()).test();
        BufferedImage image = new BufferedImage(test.cols(), test.rows(), BufferedImage.TYPE_BYTE_GRAY);
        for (int p = 0; p < test.pixelsPerImage(); p++) {
            image.getRaster().setSample(p % test.cols(), p / test.cols(), 0, test.pixels()[p] & 0xff);
        }
        ImageIO.write(image, "png", Path.of(args[0]).toFile());
    }
}
