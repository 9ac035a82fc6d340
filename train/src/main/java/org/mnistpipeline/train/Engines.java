package org.mnistpipeline.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The one place that starts DJL's PyTorch engine. It forces offline mode (natives come from the
 * {@code pytorch-native-*} jar on the classpath, nothing is downloaded) and a fixed cache
 * directory, and picks the first GPU when the engine sees one.
 */
public final class Engines {
    private Engines() {}

    /**
     * Starts the engine. Must run before any other DJL class is touched, since DJL reads these
     * properties once.
     */
    public static Engine pytorch(Path cacheDir, Consumer<String> log) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("DJL_CACHE_DIR", cacheDir.toString());
        System.setProperty("ENGINE_CACHE_DIR", cacheDir.toString());
        // DJL's own usage reporting is off in offline mode; say so explicitly anyway.
        System.setProperty("OPT_OUT_TRACKING", "true");
        if (!Files.isDirectory(cacheDir.resolve("pytorch"))) {
            log.accept("first run: unpacking PyTorch natives (about 430 MB, once) into " + cacheDir);
        }
        return Engine.getEngine("PyTorch");
    }

    /** The first GPU when one is present, else the CPU. */
    public static Device bestDevice(Engine engine) {
        return engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    }
}
