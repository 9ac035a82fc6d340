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

    /** Versions are immutable once registered, so the version an alias names identifies the model. */
    @Override
    public String fingerprint() {
        return registry.alias(alias).orElseThrow(() -> new RegistryException.NotFound("the registry has no alias '"
                + alias + "'; promote a model first (`mnist models promote VERSION " + alias + "`)"));
    }

    @Override
    public LoadedModel load() {
        ModelPackage pkg = registry.get(fingerprint());
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
