package org.mnistpipeline.inference;

import java.util.List;
import org.mnistpipeline.inference.MnistTestImages.Style;

/** The ways a real MNIST test digit is turned into a user's picture in the preprocessing tests. */
record RenderedDigits(String name, Style style, String format, int width, int height, int x, int y, int size) {

    static final List<RenderedDigits> ALL = List.of(
            new RenderedDigits("PNG 280² grey, MNIST polarity", Style.MNIST_GREY, "png", 280, 280, 0, 0, 280),
            new RenderedDigits("PNG 280² black pen on white", Style.PEN_ON_PAPER, "png", 280, 280, 0, 0, 280),
            new RenderedDigits("JPEG 640×480 blue on beige, off-centre", Style.BLUE_ON_BEIGE, "jpg", 640, 480, 380, 60, 224),
            new RenderedDigits("GIF 140² black on white", Style.PEN_ON_PAPER, "gif", 140, 140, 0, 0, 140),
            new RenderedDigits("BMP 100² chalk on slate", Style.CHALK_ON_SLATE, "bmp", 100, 100, 0, 0, 100),
            new RenderedDigits("PNG 300² black on transparent", Style.BLACK_ON_TRANSPARENT, "png", 300, 300, 10, 10, 280),
            new RenderedDigits("PNG 16-bit grey 500×300, off-centre", Style.GREY16, "png", 500, 300, 20, 150, 140),
            new RenderedDigits("PNG 28² as MNIST", Style.MNIST_GREY, "png", 28, 28, 0, 0, 28),
            new RenderedDigits("JPEG 900² black pen on white", Style.PEN_ON_PAPER, "jpg", 900, 900, 30, 30, 840));

    byte[] encode(int mnistIndex) {
        return MnistTestImages.encode(MnistTestImages.render(mnistIndex, style, width, height, x, y, size), format);
    }

    @Override
    public String toString() {
        return name;
    }
}
