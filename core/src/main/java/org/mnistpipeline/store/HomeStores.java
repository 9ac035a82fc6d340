package org.mnistpipeline.store;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.monitor.ObjectSummaryStore;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.registry.LocalModelRegistry;
import org.mnistpipeline.registry.ModelRegistry;
import org.mnistpipeline.registry.ObjectModelRegistry;

/**
 * The stores {@code MNIST_HOME} names, opened the same way by every entry point (the CLI, the
 * server, a step runner): on disk under a home directory, or under an {@code s3://} prefix, with
 * the same layout below it ({@code registry/}, {@code datastore/}, {@code pipeline/},
 * {@code monitoring/}). For a prefix, local disk holds only scratch space (downloads, mirrors,
 * checkpoints) under {@link Locations#home()}, which lives in the cache.
 */
public final class HomeStores {
    private final Locations locations;
    private final Supplier<ObjectStorage> storageFactory;
    private ObjectStorage storage;
    private ModelRegistry sharedRegistry;

    /** @param storage opens the object store; called once, and only when the home is a prefix */
    public HomeStores(Locations locations, Supplier<ObjectStorage> storage) {
        this.locations = locations;
        this.storageFactory = storage;
    }

    public Locations locations() {
        return locations;
    }

    /** True when MNIST_HOME is an object prefix. */
    public boolean shared() {
        return locations.shared();
    }

    /** The object store of a shared home. */
    public synchronized ObjectStorage storage() {
        if (!shared()) {
            throw new IllegalStateException("MNIST_HOME " + locations.home() + " is a directory, not an object prefix");
        }
        if (storage == null) {
            storage = storageFactory.get();
        }
        return storage;
    }

    /** The prefix of one part of a shared home ({@code registry}, {@code datastore}, ...). */
    public ObjectPath prefix(String part) {
        return locations.sharedHome().resolve(part);
    }

    /** Local scratch space for one part of a shared home: what can be downloaded again. */
    public Path scratch(String part) {
        return locations.home().resolve(part);
    }

    /** The model registry: {@code <home>/registry}. Opening it reads, never writes. */
    public synchronized ModelRegistry registry() {
        if (!shared()) {
            return new LocalModelRegistry(locations.registry());
        }
        if (sharedRegistry == null) {
            sharedRegistry = new ObjectModelRegistry(storage(), prefix("registry"), scratch("registry-packages"));
        }
        return sharedRegistry;
    }

    /** The drift summaries the server writes and {@code mnist monitor} reads: {@code <home>/monitoring}. */
    public SummaryStore summaries() {
        return shared() ? new ObjectSummaryStore(storage(), prefix("monitoring"))
                : SummaryStore.local(locations.monitoring());
    }

    /** Where one part of the home is, for messages. */
    public String location(String part) {
        return shared() ? prefix(part).toString() : locations.home().resolve(part).toString();
    }
}
