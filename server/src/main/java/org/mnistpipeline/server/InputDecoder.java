package org.mnistpipeline.server;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.TensorDecoders;

/**
 * Turns an {@code /invocations} body into model inputs, routed by its {@code Content-Type}:
 * encoded images go through the {@link ImagePreprocessor} (one image per request), raw tensors
 * through {@link TensorDecoders}. Failures are {@link org.mnistpipeline.inference.InferenceException}s
 * or {@link HttpException}s, which {@link HttpErrors} turns into 4xx.
 */
final class InputDecoder {
    static final Set<String> IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/gif", "image/bmp",
            "application/x-image");
    static final Set<String> TENSOR_TYPES = Set.of(TensorDecoders.JSON, TensorDecoders.NPY, TensorDecoders.CSV);
    private static final String SUPPORTED = "image/png, image/jpeg, image/gif, image/bmp, application/x-image, "
            + TensorDecoders.JSON + ", " + TensorDecoders.NPY + " or " + TensorDecoders.CSV;

    private final ImagePreprocessor images;
    private final TensorDecoders tensors;

    InputDecoder(long maxPixels) {
        this.images = new ImagePreprocessor(maxPixels);
        this.tensors = new TensorDecoders();
    }

    /** Refuses a missing or unknown Content-Type before the body is read. */
    void checkSupported(String contentType) {
        String type = mediaType(contentType);
        if (type.isEmpty()) {
            throw HttpException.unsupportedMediaType("missing Content-Type; send one of " + SUPPORTED);
        }
        if (!IMAGE_TYPES.contains(type) && !TENSOR_TYPES.contains(type)) {
            throw HttpException.unsupportedMediaType("Content-Type " + type + " is not supported; send one of "
                    + SUPPORTED);
        }
    }

    List<float[]> decode(String contentType, byte[] body) {
        checkSupported(contentType);
        String type = mediaType(contentType);
        if (IMAGE_TYPES.contains(type)) {
            return List.of(images.preprocess(body));
        }
        return tensors.decode(type, body);
    }

    /** The media type without parameters, lower case; empty when absent. */
    static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        return type.trim().toLowerCase(Locale.ROOT);
    }
}
