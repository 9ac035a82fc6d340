package org.mnistpipeline.inference.http;

import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.TensorDecoders;

/**
 * Turns an {@code /invocations} body into model inputs, routed by its {@code Content-Type}:
 * encoded images go through the {@link ImagePreprocessor} (one image per request), raw tensors
 * through {@link TensorDecoders}. Failures are
 * {@link RequestException}s, which {@link HttpErrors} turns into 4xx. Shared by the model server
 * and the Lambda function, so both accept the same content types with the same errors and the
 * same limits: every decode first reserves its memory from the one {@link MemoryBudget} of the
 * server or function (413 when it could never fit, 503 when it does not fit now).
 */
public final class InputDecoder {
    public static final Set<String> IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/gif", "image/bmp",
            "application/x-image");
    public static final Set<String> TENSOR_TYPES = Set.of(TensorDecoders.JSON, TensorDecoders.NPY, TensorDecoders.CSV);
    private static final String SUPPORTED = "image/png, image/jpeg, image/gif, image/bmp, application/x-image, "
            + TensorDecoders.JSON + ", " + TensorDecoders.NPY + " or " + TensorDecoders.CSV;

    private static final String JSON = "application/json";

    private final ImagePreprocessor images;
    private final TensorDecoders tensors;
    private final MemoryBudget budget;

    /**
     * {@code maxPixels}: larger images are refused from their header (see {@link ImagePreprocessor});
     * {@code budget}: the memory all requests' decodes may hold at once.
     */
    public InputDecoder(long maxPixels, MemoryBudget budget) {
        this.images = new ImagePreprocessor(maxPixels, budget);
        this.tensors = new TensorDecoders();
        this.budget = budget;
    }

    /** The budget every decode reserves from. */
    public MemoryBudget budget() {
        return budget;
    }

    /** Refuses a missing or unknown Content-Type before the body is read. */
    public void checkSupported(String contentType) {
        String type = TensorDecoders.mediaType(contentType);
        if (type.isEmpty()) {
            throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "missing Content-Type; send one of " + SUPPORTED);
        }
        if (!IMAGE_TYPES.contains(type) && !TENSOR_TYPES.contains(type)) {
            throw new RequestException(Kind.UNSUPPORTED_MEDIA_TYPE, "Content-Type " + type + " is not supported; send one of "
                    + SUPPORTED);
        }
    }

    /**
     * The images in {@code body}; one for an encoded image, any number for a tensor type. What
     * decoding takes is reserved on {@code lease} (from {@link #budget()}) first, and stays reserved
     * until the lease is closed.
     */
    public List<float[]> decode(String contentType, byte[] body, MemoryBudget.Lease lease) {
        checkSupported(contentType);
        String type = TensorDecoders.mediaType(contentType);
        if (IMAGE_TYPES.contains(type)) {
            return List.of(images.preprocess(body, lease));
        }
        lease.reserve(tensors.decodeBytes(type, body), "decoding this " + type + " body",
                "send fewer images per request");
        return tensors.decode(type, body);
    }

    /**
     * Whether an {@code Accept} header lets us answer {@code application/json}: absent or blank,
     * or naming it, {@code application/*} or {@code *}{@code /*} without {@code q=0}.
     */
    public static boolean acceptsJson(String accept) {
        if (accept == null || accept.isBlank()) {
            return true;
        }
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].trim().toLowerCase(Locale.ROOT);
            boolean refused = false;
            for (int i = 1; i < parts.length; i++) {
                String param = parts[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
                if (param.matches("q=0(\\.0*)?")) {
                    refused = true;
                }
            }
            if (!refused && (type.equals(JSON) || type.equals("application/*") || type.equals("*/*"))) {
                return true;
            }
        }
        return false;
    }

    /** Refuses (406) a client whose {@code Accept} rules out JSON, every answer's type, saying what to send. */
    public static void requireJsonAccepted(String accept) {
        if (!acceptsJson(accept)) {
            throw new RequestException(Kind.NOT_ACCEPTABLE, "this endpoint answers application/json only, but Accept is '"
                    + accept + "'; send Accept: application/json (or */*)");
        }
    }
}
