import ai.djl.engine.Engine;

/**
 * Run by the GPU image build (docker/Dockerfile, stage torch-gpu): starting DJL's PyTorch engine
 * with PYTORCH_FLAVOR set and no native jar on the class path makes DJL download that flavour's
 * libraries into DJL_CACHE_DIR, where the training entry finds them later without a network.
 */
public final class FetchTorchNatives {
    public static void main(String[] args) {
        Engine engine = Engine.getEngine("PyTorch");
        System.out.println("PyTorch " + engine.getVersion() + " natives in " + System.getenv("DJL_CACHE_DIR")
                + " (flavour " + System.getenv("PYTORCH_FLAVOR") + "; GPUs visible while building: "
                + engine.getGpuCount() + ")");
    }
}
