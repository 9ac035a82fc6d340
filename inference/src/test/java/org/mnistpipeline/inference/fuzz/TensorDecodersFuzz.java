package org.mnistpipeline.inference.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.TensorDecoders;
import org.mnistpipeline.inference.hostile.HostileInputs;

/**
 * Jazzer fuzz target: bytes through {@link TensorDecoders} as {@code POST /invocations} runs
 * them, the decode-cost estimate first. The type follows the first byte, so mutations cross
 * between decoders: {@code \x93} (NumPy's magic) is {@code .npy}, {@code [} {@code {} or white
 * space JSON, anything else CSV. A {@link RequestException} is the expected refusal; anything else
 * is a finding, as is an image that is not 784 values in [0, 1] or more images than estimated.
 */
public final class TensorDecodersFuzz {
    private static final TensorDecoders DECODERS = new TensorDecoders(1000);

    private TensorDecodersFuzz() {}

    public static void fuzzerTestOneInput(byte[] body) {
        String type = body.length == 0 ? TensorDecoders.CSV
                : (body[0] & 0xff) == 0x93 ? TensorDecoders.NPY
                : "[{ \t\r\n".indexOf(body[0]) >= 0 ? TensorDecoders.JSON : TensorDecoders.CSV;
        try {
            long estimate = DECODERS.decodeBytes(type, body);
            List<float[]> images = DECODERS.decode(type, body);
            if (images.size() * TensorDecoders.IMAGE_BYTES > estimate) {
                throw new AssertionError(type + ": " + images.size() + " images, estimated " + estimate + " bytes");
            }
            for (float[] image : images) {
                if (image.length != TensorDecoders.PIXELS) {
                    throw new AssertionError(type + ": an image of " + image.length + " values");
                }
                for (float v : image) {
                    if (!(v >= 0 && v <= 1)) {
                        throw new AssertionError(type + ": value " + v + " outside [0, 1]");
                    }
                }
            }
        } catch (RequestException expected) {
            Fuzzing.checkMessage(expected);
        }
    }

    /** One valid body of each type and shape, and a few at the parsers' limits. */
    public static Map<String, byte[]> seeds() {
        String zeros = String.join(",", java.util.Collections.nCopies(784, "0"));
        String rows = String.join(",", java.util.Collections.nCopies(28, "[" + String.join(",",
                java.util.Collections.nCopies(28, "0.5")) + "]"));
        return Map.of(
                "instances.json", ("{\"instances\": [[" + zeros + "]]}").getBytes(StandardCharsets.US_ASCII),
                "bare-rows.json", ("[" + rows + "]").getBytes(StandardCharsets.US_ASCII),
                "channel.json", ("{\"x\": [1, {\"y\": null}], \"instances\": [[[" + rows + "]]]}")
                        .getBytes(StandardCharsets.US_ASCII),
                "deep.json", ("{\"x\": " + "[".repeat(999) + "]".repeat(999) + ", \"instances\": [[" + zeros + "]]}")
                        .getBytes(StandardCharsets.US_ASCII),
                "two.csv", (zeros + "\n" + zeros.replace("0", "255") + "\r\n").getBytes(StandardCharsets.US_ASCII),
                "u1.npy", HostileInputs.npyFile("|u1", "(2, 784)", 2 * 784),
                "f4.npy", HostileInputs.npyFile("<f4", "(1, 28, 28)", 784 * 4),
                "f8.npy", HostileInputs.npyFile("<f8", "(784,)", 784 * 8));
    }
}
