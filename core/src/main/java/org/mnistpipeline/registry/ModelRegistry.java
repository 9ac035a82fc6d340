package org.mnistpipeline.registry;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.model.ModelManifest;

/**
 * Versioned model packages plus named aliases ({@code production}, {@code staging}) that point at
 * versions. Storage-neutral on purpose: versions and aliases are plain strings, so a local
 * directory and an object store can implement it alike. Versions are {@code v1}, {@code v2}, …;
 * a number is never handed out twice, even after a delete.
 *
 * <p>Unknown versions and aliases raise {@link RegistryException.NotFound}; damaged packages raise
 * {@link ModelPackageException}; refused operations raise {@link RegistryException}.
 */
public interface ModelRegistry {

    /**
     * Stores a copy of the package staged in {@code stagedPackage} (sealed or not) as the next
     * version, with that version written into its manifest. The staged directory is left as is.
     *
     * @return the manifest as stored
     */
    ModelManifest register(Path stagedPackage);

    /** Manifests of all versions, oldest first. Files are not hashed here; {@link #get} does that. */
    List<ModelManifest> list();

    /** The package of a version ({@code v3}) or of the version an alias points at, verified. */
    ModelPackage get(String versionOrAlias);

    /** The version an alias points at, if the alias exists. */
    Optional<String> alias(String alias);

    /** Every alias and the version it points at, by alias name. */
    Map<String, String> aliases();

    /**
     * Points {@code alias} at {@code version} (a version or another alias) after verifying that
     * package, remembering the old target for {@link #rollback}. Creates the alias if needed.
     */
    void promote(String version, String alias);

    /**
     * Points {@code alias} back at the version it held before the last promotion.
     *
     * @return the version the alias points at now
     */
    String rollback(String alias);

    /** Removes a version; refused while any alias points at it. */
    void delete(String version);

    /**
     * Adds derived files (such as a {@code model.onnx} exported after registration) to a registered
     * version and re-seals it. Files already in the package are never replaced; the weights and
     * manifest stay as they were.
     *
     * @return the package after the change, verified
     */
    ModelPackage addFiles(String version, java.util.Map<String, byte[]> files);

    /**
     * A cheap token that changes whenever the stored files of {@code version} change: a re-seal by
     * {@link #addFiles} (a new {@code SHA256SUMS}), a damaged file restored from a backup. Hashes
     * nothing but the checksum file, so a server may poll it every few seconds; it is no check of
     * integrity ({@link #get} is).
     */
    String contentToken(String version);

    /** Every change of {@code alias}, oldest first; empty for an alias that never existed. */
    List<AliasChange> history(String alias);
}
