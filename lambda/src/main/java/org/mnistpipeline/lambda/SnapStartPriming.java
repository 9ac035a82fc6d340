package org.mnistpipeline.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.BiFunction;
import javax.imageio.ImageIO;
import org.crac.Context;
import org.crac.Resource;
import org.mnistpipeline.io.Json;

/**
 * SnapStart's hooks. Before the snapshot: load the model (if the constructor could not) and run
 * warm-up requests through the handler's full path (event parsing, base64, PNG decoding,
 * preprocessing, hashing, ONNX Runtime, response encoding), so the classes are loaded, the JIT has
 * seen the code and ONNX Runtime has allocated its buffers in the snapshot instead of on the first
 * user's request. After a restore: everything per-environment starts afresh, since one snapshot
 * seeds many environments.
 */
final class SnapStartPriming implements Resource {
    private final FunctionEnvironment env;
    /** The handler's whole path: event bytes in, answer bytes out. */
    private final BiFunction<byte[], String, byte[]> handler;
    private volatile int warmUps;

    SnapStartPriming(FunctionEnvironment env, BiFunction<byte[], String, byte[]> handler) {
        this.env = env;
        this.handler = handler;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        env.model.loadNow(); // a snapshot without a model would be restored broken: fail the publish instead
        env.quiet(true);
        try {
            int runs = env.config.warmUpRuns();
            for (int i = 0; i < runs; i++) {
                answerOrFail(warmUpEvent(i));
            }
            if (runs > 0) {
                answerOrFail(pingEvent());
            }
            warmUps += runs;
        } finally {
            env.quiet(false);
            // Warm-up entries are synthetic strokes; the restored environments start with an empty cache.
            env.reset();
        }
        env.log.info("primed for snapshot", "warmUpRuns", env.config.warmUpRuns());
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // The handler holds no random generator of its own; the environment id is the per-environment
        // value that would otherwise be shared by every environment restored from this snapshot.
        env.reset();
        env.log.info("restored from snapshot", "environmentId", env.id());
    }

    /** Warm-up requests run so far (before checkpoints). */
    int warmUps() {
        return warmUps;
    }

    private void answerOrFail(byte[] event) {
        byte[] answer = handler.apply(event, "priming");
        if (Json.parse(new String(answer, StandardCharsets.UTF_8), JsonNode.class).path("statusCode").asInt() != 200) {
            throw new IllegalStateException("warm-up request failed, not taking a snapshot: "
                    + new String(answer, StandardCharsets.UTF_8));
        }
    }

    /**
     * A function URL event with a PNG of a pen stroke, tilted by run: each run is a different
     * image, so none is answered from the cache and every one runs the model.
     */
    static byte[] warmUpEvent(int run) {
        String png = Base64.getEncoder().encodeToString(strokePng(run));
        return ("{\"version\":\"2.0\",\"rawPath\":\"/invocations\",\"headers\":{\"content-type\":\"image/png\"},"
                + "\"requestContext\":{\"http\":{\"method\":\"POST\",\"path\":\"/invocations\"}},"
                + "\"body\":\"" + png + "\",\"isBase64Encoded\":true}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] pingEvent() {
        return ("{\"version\":\"2.0\",\"rawPath\":\"/ping\",\"headers\":{},"
                + "\"requestContext\":{\"http\":{\"method\":\"GET\",\"path\":\"/ping\"}},\"isBase64Encoded\":false}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Dark ink on white paper, as a user draws; no fonts, which a Lambda image may lack. */
    static byte[] strokePng(int run) {
        BufferedImage image = new BufferedImage(112, 112, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 112, 112);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(9f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        int dx = (run % 7) * 6 - 18;
        g.drawLine(56 - dx, 16, 56 + dx, 96);
        if (run % 2 == 1) {
            g.drawLine(56 - dx, 16, 30 + run % 5 * 4, 40); // the flag of a "1" on odd runs
        }
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a warm-up PNG", e);
        }
        return out.toByteArray();
    }
}
