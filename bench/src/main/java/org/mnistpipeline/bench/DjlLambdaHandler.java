package org.mnistpipeline.bench;

import ai.djl.Device;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.model.WeightsFile;
import org.mnistpipeline.train.Engines;
import org.mnistpipeline.train.ModelPackager;

/**
 * The naive Lambda function, for comparison in {@code bench/lambda-coldstart.sh} only: the model
 * run by DJL on PyTorch from the training package ({@code manifest.json} + {@code weights.safetensors}
 * in {@code MODEL_DIR}), as training evaluates it, instead of ONNX Runtime. Natives are unpacked
 * into {@code DJL_CACHE_DIR} at init. Handles a function URL event with a 28×28 grey PNG and
 * nothing else; no error mapping.
 */
public final class DjlLambdaHandler implements RequestStreamHandler {
    private final ModelManifest manifest;
    private final List<WeightsFile.Tensor> weights;
    private final ModelPackager packager;

    public DjlLambdaHandler() throws IOException {
        Path dir = Path.of(System.getenv("MODEL_DIR"));
        Path cache = Path.of(System.getenv("DJL_CACHE_DIR"));
        manifest = Json.mapper().readValue(dir.resolve("manifest.json").toFile(), ModelManifest.class);
        weights = new ArrayList<>(WeightsFile.read(dir.resolve(org.mnistpipeline.release.ReleaseService.WEIGHTS_FILE)).values());
        packager = new ModelPackager(Engines.pytorch(cache, System.out::println), Device.cpu());
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.mapper().readTree(input);
        byte[] png = Base64.getDecoder().decode(event.get("body").asText());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        byte[] pixels = new byte[28 * 28];
        image.getRaster().getDataElements(0, 0, 28, 28, pixels);
        float[] p = packager.probabilities(manifest.architecture(), weights,
                new LabeledImages(pixels, new byte[1], 28, 28, 10))[0];
        int label = 0;
        for (int i = 1; i < p.length; i++) {
            label = p[i] > p[label] ? i : label;
        }
        String body = "{\"predictions\":[{\"label\":" + label + "}]}";
        String response = "{\"statusCode\":200,\"body\":" + Json.mapper().writeValueAsString(body) + "}";
        output.write(response.getBytes(StandardCharsets.UTF_8));
    }
}
