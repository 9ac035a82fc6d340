package org.mnistpipeline.registry;

import static org.mnistpipeline.registry.RegistryRules.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Sha256;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.registry.LocalModelRegistry.AliasState;
import org.mnistpipeline.registry.LocalModelRegistry.RegistryState;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;
import org.mnistpipeline.store.ObjectStorage.ConditionFailed;
import org.mnistpipeline.store.ObjectStorage.Stored;

/**
 * A registry under an object prefix (S3), laid out as {@link LocalModelRegistry} lays out its
 * directory, so a registry copied either way with {@code aws s3 sync} stays readable:
 *
 * <pre>
 * root/registry.json            format version (written once, on the first registration)
 * root/models/vN/manifest.json  the claim on number N: created with If-None-Match: *, never deleted
 * root/models/vN/…              the package's files
 * root/models/vN/SHA256SUMS     written last: a version exists once this object does
 * root/aliases/NAME.json        current version, rollback stack and history, switched by If-Match
 * </pre>
 *
 * <p>No lock anywhere: two writers racing for a number both try {@code If-None-Match: *} on
 * {@code vN/manifest.json} and exactly one wins, the other takes the next number; a manifest is
 * never deleted, so a number is never handed out twice (a registration that dies after its claim
 * leaves a gap, as locally). An alias is one object replaced with {@code If-Match: <etag>} of the
 * state it was computed from; a writer that lost the race gets 412, reads the alias again and
 * recomputes, so every promotion and rollback ends up in the history exactly once.
 *
 * <p>Reading verifies: a package is downloaded into the local cache as scratch, every file named
 * by {@code SHA256SUMS} checked by {@link ModelPackage#open}; a copy already in the cache is used
 * only when its {@code SHA256SUMS} equals the one in the store and its files still match it.
 * Files in the store that {@code SHA256SUMS} does not list are not part of the package and are
 * never read. Opening the registry, listing it and reading from it need read permission only.
 */
public final class ObjectModelRegistry implements ModelRegistry {
    /** Compare-and-set attempts before giving up: each failed one means another writer succeeded. */
    private static final int ATTEMPTS = 25;

    private final ObjectStorage storage;
    private final ObjectPath root;
    private final Path scratch;
    private final Clock clock;
    /** The last alias objects read, by name, so a poll that finds them unchanged transfers nothing. */
    private final Map<String, CachedAlias> aliasCache = new ConcurrentHashMap<>();

    private record CachedAlias(String etag, AliasState state) {}

    /** @param scratch a local directory for downloaded packages and staging (safe to delete) */
    public ObjectModelRegistry(ObjectStorage storage, ObjectPath root, Path scratch) {
        this(storage, root, scratch, Clock.systemUTC());
    }

    ObjectModelRegistry(ObjectStorage storage, ObjectPath root, Path scratch, Clock clock) {
        this.storage = storage;
        this.root = root;
        this.scratch = scratch.toAbsolutePath().normalize();
        this.clock = clock;
        readState(); // refuse a registry written by a newer release now, not mid-operation
    }

    public ObjectPath root() {
        return root;
    }

    @Override
    public String toString() {
        return "registry " + root;
    }

    // ---- writes -------------------------------------------------------------------------------

    @Override
    public ModelManifest register(Path stagedPackage) {
        Path input = stagedPackage.toAbsolutePath().normalize();
        if (!Files.isDirectory(input)) {
            throw new ModelPackageException("cannot register " + input + ": it is not a directory");
        }
        if (Files.exists(input.resolve(ModelPackage.CHECKSUMS))) {
            ModelPackage.open(input); // it claims to be sealed: catch damage in transit before uploading
        }
        Path staging = scratch.resolve(".staging-" + UUID.randomUUID());
        try {
            copyPackage(input, staging, false);
            ModelManifest staged = ModelPackage.readStagedManifest(staging);
            ensureFormatMarker();
            int number = nextNumber();
            for (int attempt = 1; ; attempt++) {
                String version = "v" + number;
                ModelManifest manifest = staged.withVersion(version);
                Json.writeAtomically(staging.resolve(ModelPackage.MANIFEST), manifest);
                ModelPackage sealed = ModelPackage.seal(staging);
                ObjectPath dir = versionDir(version);
                try {
                    storage.putIfAbsent(dir.resolve(ModelPackage.MANIFEST),
                            Files.readAllBytes(staging.resolve(ModelPackage.MANIFEST)));
                } catch (ConditionFailed e) {
                    if (attempt >= 1000) {
                        throw new RegistryException("registry " + root + ": no free version number after " + attempt
                                + " claims; check the registry by hand");
                    }
                    number = Math.max(number + 1, nextNumber()); // another writer claimed it first
                    continue;
                }
                // The claim is ours: upload the rest, SHA256SUMS last, which makes the version visible.
                for (String file : sealed.files()) {
                    if (!file.equals(ModelPackage.MANIFEST)) {
                        storage.upload(dir.resolve(file), staging.resolve(file));
                    }
                }
                storage.putIfAbsent(dir.resolve(ModelPackage.CHECKSUMS),
                        Files.readAllBytes(staging.resolve(ModelPackage.CHECKSUMS)));
                return manifest;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage " + input + " for " + this, e);
        } finally {
            deleteQuietly(staging);
        }
    }

    @Override
    public void promote(String version, String alias) {
        checkAliasName(alias);
        String target = resolveVersion(version);
        verified(target);
        updateAlias(alias, current -> {
            if (target.equals(current.version())) {
                return null; // already there; an identical entry would only pollute the rollback stack
            }
            List<String> previous = new ArrayList<>(current.previous());
            if (current.version() != null) {
                previous.add(current.version());
            }
            return changed(current, target, previous, "promote");
        });
    }

    @Override
    public String rollback(String alias) {
        checkAliasName(alias);
        AliasState after = updateAlias(alias, current -> {
            if (current.version() == null) {
                throw new RegistryException.NotFound("no alias '" + alias + "' in " + this + "; aliases: "
                        + aliases().keySet());
            }
            if (current.previous().isEmpty()) {
                throw new RegistryException(alias + " has no previous version to roll back to (it is "
                        + current.version() + " and was never promoted over another); promote a version instead");
            }
            List<String> previous = new ArrayList<>(current.previous());
            String target = previous.removeLast();
            verified(target);
            return changed(current, target, previous, "rollback");
        });
        return after.version();
    }

    @Override
    public void delete(String version) {
        if (!isVersion(version)) {
            throw new RegistryException("delete takes a version such as v3, not '" + version + "'");
        }
        ObjectPath sums = versionDir(version).resolve(ModelPackage.CHECKSUMS);
        Stored published = storage.get(sums).orElseThrow(() -> notFound(version));
        refuseIfAliased(aliases(), version);
        // A rollback must never land on a version that no longer exists.
        for (String alias : aliases().keySet()) {
            updateAlias(alias, state -> state.previous().contains(version)
                    ? new AliasState(FORMAT_VERSION, alias, state.version(),
                            state.previous().stream().filter(v -> !v.equals(version)).toList(), state.history())
                    : null);
        }
        storage.delete(sums); // unpublished from here on
        try {
            refuseIfAliased(aliases(), version); // promoted by someone else in the meantime: put it back
        } catch (RegistryException e) {
            storage.put(sums, published.bytes());
            throw e;
        }
        for (String key : storage.list(versionDir(version))) {
            // The manifest stays: it is the claim that keeps the number from being handed out again.
            if (!key.equals(versionDir(version).resolve(ModelPackage.MANIFEST).key())) {
                storage.delete(new ObjectPath(root.bucket(), key));
            }
        }
    }

    @Override
    public ModelPackage addFiles(String version, Map<String, byte[]> files) {
        if (!isVersion(version)) {
            throw new IllegalArgumentException("addFiles needs a version such as v3, not '" + version + "'");
        }
        ObjectPath dir = versionDir(version);
        Stored sums = storage.get(dir.resolve(ModelPackage.CHECKSUMS)).orElseThrow(() -> notFound(version));
        SortedMap<String, String> digests = new TreeMap<>(parseSums(version, sums.bytes()));
        for (var file : files.entrySet()) {
            String name = file.getKey();
            PackagePaths.problem(name).ifPresent(problem -> {
                throw new IllegalArgumentException("cannot add '" + name + "': " + problem);
            });
            if (digests.containsKey(name) || name.equals(ModelPackage.CHECKSUMS)) {
                throw new RegistryException(version + " already has " + name + "; packages are immutable");
            }
            digests.put(name, Sha256.of(file.getValue()));
        }
        verified(version);
        for (var file : files.entrySet()) {
            storage.put(dir.resolve(file.getKey()), file.getValue()); // unlisted, so unread, until re-sealed
        }
        try {
            storage.putIfMatch(dir.resolve(ModelPackage.CHECKSUMS),
                    Sha256Sums.of(digests).format().getBytes(StandardCharsets.UTF_8), sums.etag());
        } catch (ConditionFailed e) {
            throw new RegistryException(version + " was re-sealed by another writer while files were added to it;"
                    + " look at it again (`mnist models show " + version + "`) and retry", e);
        }
        return verified(version);
    }

    // ---- reads --------------------------------------------------------------------------------

    @Override
    public List<ModelManifest> list() {
        List<ModelManifest> manifests = new ArrayList<>();
        for (String version : versions()) {
            storage.get(versionDir(version).resolve(ModelPackage.MANIFEST))
                    .ifPresent(manifest -> manifests.add(parseManifest(version, manifest.bytes())));
        }
        return manifests;
    }

    @Override
    public ModelPackage get(String versionOrAlias) {
        return verified(resolveVersion(versionOrAlias));
    }

    @Override
    public Optional<String> alias(String alias) {
        checkAliasName(alias);
        return readAlias(alias).map(CachedAlias::state).map(AliasState::version);
    }

    @Override
    public Map<String, String> aliases() {
        Map<String, String> result = new TreeMap<>();
        ObjectPath dir = root.resolve("aliases");
        for (String key : storage.list(dir)) {
            String name = dir.relativize(key);
            if (name == null || name.contains("/") || !name.endsWith(".json")) {
                continue;
            }
            String alias = name.substring(0, name.length() - ".json".length());
            if (isAlias(alias)) {
                readAlias(alias).ifPresent(cached -> result.put(alias, cached.state().version()));
            }
        }
        return result;
    }

    /**
     * The version and its {@code SHA256SUMS} object's ETag: every re-seal ({@link #addFiles}, a
     * {@code models export}) writes a new checksum file, so a server polling this notices it with one
     * small GET. Unlike the local registry's token it does not see a file replaced under an unchanged
     * checksum file; {@link #get} verifies the contents either way.
     */
    @Override
    public String contentToken(String version) {
        if (!isVersion(version)) {
            throw new RegistryException.NotFound("'" + version + "' is not a version such as v3");
        }
        return version + "@" + storage.get(versionDir(version).resolve(ModelPackage.CHECKSUMS))
                .orElseThrow(() -> notFound(version)).etag();
    }

    @Override
    public List<AliasChange> history(String alias) {
        checkAliasName(alias);
        return readAlias(alias).map(c -> c.state().history()).orElse(List.of());
    }

    // ---- internals ----------------------------------------------------------------------------

    /** How one alias write changes the state it read; null for "no change". */
    @FunctionalInterface
    private interface AliasUpdate {
        AliasState apply(AliasState current);
    }

    /**
     * Reads the alias, applies {@code update} and writes the result only if the alias is still what
     * was read ({@code If-Match}, or {@code If-None-Match: *} for a new alias). A 412 means another
     * writer got there first: read again and recompute, so no change is lost or applied twice.
     *
     * @return the state after the update (the one read, when {@code update} changed nothing)
     */
    private AliasState updateAlias(String alias, AliasUpdate update) {
        ObjectPath path = aliasPath(alias);
        for (int attempt = 1; ; attempt++) {
            Optional<Stored> stored = storage.get(path);
            AliasState current = stored.map(s -> parseAlias(alias, s.bytes())).orElse(AliasState.empty(alias));
            AliasState next = update.apply(current);
            if (next == null) {
                return current;
            }
            byte[] bytes = (Json.pretty(next) + "\n").getBytes(StandardCharsets.UTF_8);
            try {
                String etag = stored.isPresent() ? storage.putIfMatch(path, bytes, stored.get().etag())
                        : storage.putIfAbsent(path, bytes);
                aliasCache.put(alias, new CachedAlias(etag, next));
                return next;
            } catch (ConditionFailed e) {
                if (attempt >= ATTEMPTS) {
                    throw new RegistryException("alias " + alias + " in " + this + " kept changing under " + attempt
                            + " attempts to update it; try again", e);
                }
                backOff(attempt);
            }
        }
    }

    private AliasState changed(AliasState current, String target, List<String> previous, String reason) {
        List<AliasChange> history = new ArrayList<>(current.history());
        history.add(new AliasChange(current.alias(), target, current.version(), clock.instant().toString(), reason));
        return new AliasState(FORMAT_VERSION, current.alias(), target, previous, history);
    }

    /** The alias as stored now; a conditional GET, so an unchanged alias costs no transfer. */
    private Optional<CachedAlias> readAlias(String alias) {
        CachedAlias cached = aliasCache.get(alias);
        ObjectStorage.Fetched fetched = storage.getIfChanged(aliasPath(alias), cached == null ? null : cached.etag());
        return switch (fetched.change()) {
            case UNCHANGED -> Optional.of(cached);
            case ABSENT -> {
                aliasCache.remove(alias);
                yield Optional.empty();
            }
            case CHANGED -> {
                CachedAlias fresh = new CachedAlias(fetched.object().etag(), parseAlias(alias, fetched.object().bytes()));
                aliasCache.put(alias, fresh);
                yield Optional.of(fresh);
            }
        };
    }

    private AliasState parseAlias(String alias, byte[] bytes) {
        ObjectPath path = aliasPath(alias);
        AliasState state;
        try {
            state = Json.mapper().readValue(bytes, AliasState.class);
        } catch (IOException e) {
            throw new RegistryException("alias object " + path + " is unreadable (" + e.getMessage()
                    + "); delete it and promote a version again", e);
        }
        checkFormat(state.formatVersion(), "alias object " + path);
        if (!isVersion(state.version()) || !state.previous().stream().allMatch(RegistryRules::isVersion)) {
            throw new RegistryException("alias object " + path + " names something other than versions such as v3;"
                    + " delete it and promote a version again");
        }
        return state;
    }

    private String resolveVersion(String versionOrAlias) {
        if (isVersion(versionOrAlias)) {
            return versionOrAlias;
        }
        if (!hasAliasForm(versionOrAlias)) {
            throw new RegistryException.NotFound("'" + versionOrAlias + "' is neither a version such as v3 nor an"
                    + " alias such as production; versions: " + versions() + ", aliases: " + aliases().keySet());
        }
        return readAlias(versionOrAlias).map(c -> c.state().version()).orElseThrow(() ->
                new RegistryException.NotFound("no alias or version '" + versionOrAlias + "' in " + this
                        + "; aliases: " + aliases().keySet()));
    }

    /**
     * The package of {@code version}, downloaded into the scratch cache and checked against the
     * {@code SHA256SUMS} in the store now. A cached copy sealed by the same checksums is reused.
     */
    private ModelPackage verified(String version) {
        ObjectPath dir = versionDir(version);
        byte[] sums = storage.get(dir.resolve(ModelPackage.CHECKSUMS)).map(Stored::bytes)
                .orElseThrow(() -> notFound(version));
        SortedMap<String, String> digests = parseSums(version, sums);
        Path packages = scratch.resolve("packages");
        Path cached = packages.resolve(version + "-" + Sha256.of(sums).substring(0, 16));
        Optional<ModelPackage> reused = openCached(cached, sums, version);
        if (reused.isPresent()) {
            return reused.get();
        }
        Path download = packages.resolve(".download-" + UUID.randomUUID());
        try {
            for (String file : digests.keySet()) {
                Path target = download.resolve(file);
                Files.createDirectories(target.getParent());
                try {
                    storage.download(dir.resolve(file), target);
                } catch (ObjectStorage.NotFound e) {
                    throw new ModelPackageException("model package " + dir + " is corrupt: " + file + " is listed in "
                            + ModelPackage.CHECKSUMS + " but missing; restore it or delete the version");
                }
            }
            Files.write(download.resolve(ModelPackage.CHECKSUMS), sums);
            ModelPackage pkg = checkedVersion(version, ModelPackage.open(download));
            try {
                Files.move(download, cached, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                return openCached(cached, sums, version).orElse(pkg); // another thread or process finished first
            }
            removeOlderCopies(packages, version, cached);
            return checkedVersion(version, ModelPackage.open(cached));
        } catch (ModelPackageException e) {
            throw new ModelPackageException(e.getMessage().replace(download.toString(), dir.toString()), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + dir + " into " + packages, e);
        } finally {
            deleteQuietly(download);
        }
    }

    private Optional<ModelPackage> openCached(Path cached, byte[] sums, String version) {
        try {
            if (Files.isDirectory(cached) && Arrays.equals(Files.readAllBytes(cached.resolve(ModelPackage.CHECKSUMS)), sums)) {
                return Optional.of(checkedVersion(version, ModelPackage.open(cached)));
            }
        } catch (IOException | RuntimeException e) {
            // A damaged or half-removed copy in the cache: download it again.
        }
        deleteQuietly(cached);
        return Optional.empty();
    }

    /** Copies sealed by an earlier SHA256SUMS of the same version (before an addFiles) are stale. */
    private static void removeOlderCopies(Path packages, String version, Path keep) {
        try (var entries = Files.list(packages)) {
            entries.filter(p -> p.getFileName().toString().startsWith(version + "-") && !p.equals(keep))
                    .forEach(RegistryRules::deleteQuietly);
        } catch (IOException ignored) {
            // tidiness only
        }
    }

    private ModelPackage checkedVersion(String version, ModelPackage pkg) {
        RegistryRules.checkedVersion(versionDir(version), version, pkg.manifest());
        return pkg;
    }

    private SortedMap<String, String> parseSums(String version, byte[] bytes) {
        return ModelPackage.parseChecksums(bytes, problem -> new ModelPackageException("model package "
                + versionDir(version) + " is corrupt: " + problem + "; restore it or delete the version"));
    }

    /** A stored manifest, checked as {@link ModelPackage} checks one: format first, then the version it names. */
    private ModelManifest parseManifest(String version, byte[] bytes) {
        ObjectPath file = versionDir(version).resolve(ModelPackage.MANIFEST);
        try {
            JsonNode tree = Json.mapper().readTree(bytes);
            JsonNode format = tree == null ? null : tree.get("formatVersion");
            if (format == null || !format.canConvertToInt()) {
                throw new ModelPackageException(file + " has no formatVersion; restore it or delete the version");
            }
            ModelPackage.checkFormatVersion(format.intValue(), Path.of(version));
            ModelManifest manifest = Json.mapper().treeToValue(tree, ModelManifest.class);
            if (!version.equals(manifest.version())) {
                throw new ModelPackageException(file + " says version '" + manifest.version() + "' but is stored as "
                        + version + "; restore it or delete the version");
            }
            return manifest;
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelPackageException(file + " is not a valid manifest (" + e.getMessage() + ")", e);
        }
    }

    /** Published versions (their SHA256SUMS exists) in numeric order. */
    private List<String> versions() {
        ObjectPath models = root.resolve("models");
        List<String> versions = new ArrayList<>();
        for (String key : storage.list(models)) {
            String relative = models.relativize(key);
            if (relative != null && relative.endsWith("/" + ModelPackage.CHECKSUMS)
                    && relative.indexOf('/') == relative.length() - ModelPackage.CHECKSUMS.length() - 1) {
                String version = relative.substring(0, relative.indexOf('/'));
                if (isVersion(version)) {
                    versions.add(version);
                }
            }
        }
        versions.sort((a, b) -> Integer.compare(number(a), number(b)));
        return versions;
    }

    /** One above every number ever claimed (published or not) and the floor registry.json keeps. */
    private int nextNumber() {
        int highest = readState().lastVersion();
        ObjectPath models = root.resolve("models");
        for (String key : storage.list(models)) {
            String relative = models.relativize(key);
            int slash = relative == null ? -1 : relative.indexOf('/');
            if (slash > 0 && isVersion(relative.substring(0, slash))) {
                highest = Math.max(highest, number(relative.substring(0, slash)));
            }
        }
        return highest + 1;
    }

    private RegistryState readState() {
        ObjectPath file = root.resolve(STATE_FILE);
        Optional<Stored> stored = storage.get(file);
        if (stored.isEmpty()) {
            return new RegistryState(FORMAT_VERSION, 0);
        }
        return parseState(stored.get().bytes(), file, root);
    }

    /** Marks the prefix as a registry of this format; the first writer creates it, later ones leave it. */
    private void ensureFormatMarker() {
        try {
            storage.putIfAbsent(root.resolve(STATE_FILE),
                    (Json.pretty(new RegistryState(FORMAT_VERSION, 0)) + "\n")
                            .getBytes(StandardCharsets.UTF_8));
        } catch (ConditionFailed alreadyThere) {
            // written by an earlier registration; readState() checked its format
        }
    }

    private ObjectPath versionDir(String version) {
        return root.resolve("models").resolve(version);
    }

    private ObjectPath aliasPath(String alias) {
        return root.resolve("aliases").resolve(alias + ".json");
    }

    private RegistryException.NotFound notFound(String version) {
        return new RegistryException.NotFound("no model version " + version + " in " + this + "; versions: "
                + versions());
    }

    /** A short random pause, growing with the attempt: writers that collided should not collide again. */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 10L * Math.min(attempt, 10) + 2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while retrying an alias update");
        }
    }
}
