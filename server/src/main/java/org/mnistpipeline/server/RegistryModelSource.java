package org.mnistpipeline.server;

import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.LocalModelLoader;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.registry.RegistryException;

/** The version an alias of a registry points at; promoting or rolling back swaps the served model. */
final class RegistryModelSource implements ModelSource {
    private final ModelRegistry registry;
    private final String alias;

    RegistryModelSource(ModelRegistry registry, String alias) {
        this.registry = registry;
        this.alias = alias;
    }

    /**
     * The version the alias names plus that version's content token: a version's weights never
     * change, but its package may (a {@code model.onnx} added by {@code mnist models export}, a
     * damaged file restored), and a version that failed to load must be tried again when it does.
     */
    @Override
    public String fingerprint() {
        String version = version();
        return version + "@" + registry.contentToken(version);
    }

    private String version() {
        return registry.alias(alias).orElseThrow(() -> new RegistryException.NotFound("the registry has no alias '"
                + alias + "'; promote a model first (`mnist models promote VERSION " + alias + "`)"));
    }

    @Override
    public LoadedModel load() {
        ModelPackage pkg = registry.get(version());
        return new LocalModelLoader(pkg.dir(), pkg.manifest().version()).load();
    }

    @Override
    public String describe() {
        return "registry alias '" + alias + "'";
    }

    @Override
    public String publicName() {
        return describe();
    }

    @Override
    public String toString() {
        return describe();
    }
}
