package org.mnistpipeline.registry;

import static org.mnistpipeline.registry.RegistryRules.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.DirectoryLock;
import org.mnistpipeline.io.DiskProblems;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.OwnedDirectory;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.registry.CrashPoints.Step;

/**
 * A registry in a local directory:
 *
 * <pre>
 * root/registry.json          format version and the last version number handed out
 * root/.lock                  FileChannel lock that serialises writers across processes
 * root/models/v1/…            sealed model packages
 * root/aliases/production.json  current version, rollback stack and change history
 * root/.staging-*             a package being copied in; its owner locks .staging-*.owner
 * root/.trash-*, .replaced-*  a version being deleted, a package being replaced
 * </pre>
 *
 * Every change becomes visible through one atomic rename (a package directory into
 * {@code models/}, an alias file over the old one), followed by an fsync of the directory, so a
 * crash or a power cut at any point leaves the registry as it was before or as it is after,
 * never half-way. Readers take no lock and write nothing, so a read-only mount serves models and
 * a reader never waits for a writer; a package caught mid-replacement by a crash is read from
 * where it was set aside. Writers clean up after crashes: under the lock, before their own
 * change, they put a set-aside package back and remove {@code .trash-*} and the
 * {@code .staging-*} directories whose owner died.
 */
public final class LocalModelRegistry implements ModelRegistry {
    private static final String STAGING = ".staging-";

    private final Path root;
    private final Path models;
    private final Path aliasDir;
    private final Clock clock;
    private final CrashPoints crashPoints;
    private final DirectoryLock lock;

    public LocalModelRegistry(Path root) {
        this(root, Clock.systemUTC(), CrashPoints.NONE);
    }

    LocalModelRegistry(Path root, Clock clock, CrashPoints crashPoints) {
        this.root = root.toAbsolutePath().normalize();
        this.lock = new DirectoryLock(this.root);
        this.models = this.root.resolve("models");
        this.aliasDir = this.root.resolve("aliases");
        this.clock = clock;
        this.crashPoints = crashPoints;
        readState(); // fail now, not mid-operation, on a registry written by a newer release (reads only)
    }

    /**
     * What a crash may have left, put right by a writer holding the lock. {@link #addFiles} swaps a
     * package with two renames; a crash between them leaves the old package under
     * {@code .replaced-vN-*} and no {@code models/vN}: put it back. {@link #delete} leaves
     * {@code .trash-*}; {@link #register} and {@link #addFiles} leave {@code .staging-*} when
     * killed: remove them, unless their owner still lives (another process copying a package in).
     */
    private void cleanUpAfterCrashes() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        List<Path> leftovers;
        try (var entries = Files.list(root)) {
            leftovers = entries.filter(p -> p.getFileName().toString().startsWith(".replaced-")
                    || p.getFileName().toString().startsWith(".trash-")).sorted().toList();
        }
        for (Path entry : leftovers) {
            String name = entry.getFileName().toString();
            String version = name.split("-")[1];
            if (name.startsWith(".replaced-") && isVersion(version) && !Files.exists(models.resolve(version))) {
                Files.createDirectories(models);
                AtomicFiles.moveAtomically(entry, models.resolve(version));
            } else {
                FileTrees.delete(entry);
            }
        }
        OwnedDirectory.sweep(root, STAGING);
    }

    @Override
    public ModelPackage addFiles(String version, Map<String, byte[]> files) {
        if (!isVersion(version)) {
            throw new IllegalArgumentException("addFiles needs a version such as v3, not '" + version + "'");
        }
        ModelPackage current = get(version);
        for (String name : files.keySet()) {
            PackagePaths.problem(name).ifPresent(problem -> {
                throw new IllegalArgumentException("cannot add '" + name + "': " + problem);
            });
            if (current.files().contains(name) || name.equals(ModelPackage.CHECKSUMS)) {
                throw new RegistryException(version + " already has " + name + "; packages are immutable");
            }
        }
        try (OwnedDirectory owned = newStaging()) {
            Path staging = owned.dir();
            copyPackage(current.dir(), staging, true);
            for (var file : files.entrySet()) {
                Path target = staging.resolve(file.getKey());
                Files.createDirectories(target.getParent());
                AtomicFiles.write(target, file.getValue());
            }
            ModelPackage.seal(staging);
            AtomicFiles.fsyncDirectory(staging);
            return locked(() -> {
                Path dir = models.resolve(version);
                Path aside = root.resolve(".replaced-" + version + "-" + UUID.randomUUID());
                AtomicFiles.moveAtomically(dir, aside);
                crashPoints.reached(Step.ADD_FILES_SWAPPING);
                AtomicFiles.moveAtomically(staging, dir);
                deleteQuietly(aside);
                return verified(version);
            });
        } catch (IOException | UncheckedIOException e) {
            throw ioFailure(e);
        }
    }

    /** A staging directory owned by this process (see {@link OwnedDirectory}); the registry root is created first. */
    private OwnedDirectory newStaging() throws IOException {
        Files.createDirectories(root);
        return OwnedDirectory.create(root, STAGING);
    }

    public Path root() {
        return root;
    }

    // ---- writes -------------------------------------------------------------------------------

    @Override
    public ModelManifest register(Path stagedPackage) {
        Path input = stagedPackage.toAbsolutePath().normalize();
        if (!Files.isDirectory(input)) {
            throw new ModelPackageException("cannot register " + input + ": it is not a directory");
        }
        if (Files.exists(input.resolve(ModelPackage.CHECKSUMS))) {
            ModelPackage.open(input); // it claims to be sealed: catch damage in transit before copying
        }
        OwnedDirectory owned;
        try {
            owned = newStaging();
        } catch (IOException | UncheckedIOException e) {
            throw ioFailure(e);
        }
        try (owned) {
            Path staging = owned.dir();
            // Copy outside the lock: it is the slow part and touches nothing other writers read.
            try {
                copyPackage(input, staging, true);
            } catch (IOException | UncheckedIOException e) {
                throw ioFailure(e);
            }
            crashPoints.reached(Step.REGISTER_COPIED);
            return locked(() -> {
                ModelManifest staged = ModelPackage.readStagedManifest(staging);
                int number = nextNumber();
                String version = "v" + number;
                ModelManifest manifest = staged.withVersion(version);
                Json.writeAtomically(staging.resolve(ModelPackage.MANIFEST), manifest);
                ModelPackage.seal(staging);
                AtomicFiles.fsyncDirectory(staging);
                crashPoints.reached(Step.REGISTER_SEALED);
                // Reserve before publishing: a crash in between costs a gap, never a reused number.
                writeState(number);
                crashPoints.reached(Step.REGISTER_NUMBER_RESERVED);
                Files.createDirectories(models);
                Path target = models.resolve(version);
                if (Files.exists(target)) {
                    throw new RegistryException("registry " + root + " already has " + target
                            + " although registry.json says it was never handed out; check the registry by hand");
                }
                AtomicFiles.moveAtomically(staging, target);
                crashPoints.reached(Step.REGISTER_PUBLISHED);
                return manifest;
            });
        }
    }

    @Override
    public void promote(String version, String alias) {
        checkAliasName(alias);
        locked(() -> {
            String target = resolveVersion(version);
            verified(target);
            AliasState current = readAlias(alias).orElse(AliasState.empty(alias));
            if (target.equals(current.version())) {
                return null; // already there; an identical entry would only pollute the rollback stack
            }
            List<String> previous = new ArrayList<>(current.previous());
            if (current.version() != null) {
                previous.add(current.version());
            }
            switchAlias(current, target, previous, "promote");
            return null;
        });
    }

    @Override
    public String rollback(String alias) {
        checkAliasName(alias);
        return locked(() -> {
            AliasState current = readAlias(alias).orElseThrow(() -> new RegistryException.NotFound(
                    "no alias '" + alias + "' in registry " + root + "; aliases: " + aliases().keySet()));
            if (current.previous().isEmpty()) {
                throw new RegistryException(alias + " has no previous version to roll back to (it is " + current.version()
                        + " and was never promoted over another); promote a version instead");
            }
            List<String> previous = new ArrayList<>(current.previous());
            String target = previous.removeLast();
            verified(target);
            switchAlias(current, target, previous, "rollback");
            return target;
        });
    }

    @Override
    public void delete(String version) {
        if (!isVersion(version)) {
            throw new RegistryException("delete takes a version such as v3, not '" + version + "'");
        }
        locked(() -> {
            Path dir = models.resolve(version);
            if (!Files.isDirectory(dir)) {
                throw notFound(version);
            }
            refuseIfAliased(aliases(), version);
            // Keep the counter ahead of this number even if registry.json was lost, so it is never reused.
            writeState(Math.max(readState().lastVersion(), number(version)));
            // A rollback must never land on a version that no longer exists.
            for (String alias : aliases().keySet()) {
                AliasState state = readAlias(alias).orElseThrow();
                if (state.previous().contains(version)) {
                    List<String> pruned = state.previous().stream().filter(v -> !v.equals(version)).toList();
                    writeAlias(new AliasState(FORMAT_VERSION, alias, state.version(), pruned, state.history()));
                }
            }
            Path trash = root.resolve(".trash-" + version + "-" + UUID.randomUUID());
            AtomicFiles.moveAtomically(dir, trash);
            crashPoints.reached(Step.DELETE_UNPUBLISHED);
            deleteQuietly(trash);
            return null;
        });
    }

    // ---- reads --------------------------------------------------------------------------------

    @Override
    public List<ModelManifest> list() {
        List<ModelManifest> manifests = new ArrayList<>();
        for (String version : versions()) {
            Path dir = packageDir(version);
            try {
                manifests.add(checkedVersion(dir, version, ModelPackage.readManifestUnverified(dir)));
            } catch (ModelPackageException e) {
                if (Files.isDirectory(dir)) {
                    throw e;
                } // else deleted by another process while we listed: not a version any more
            }
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
        return readAlias(alias).map(AliasState::version);
    }

    @Override
    public Map<String, String> aliases() {
        Map<String, String> result = new TreeMap<>();
        if (!Files.isDirectory(aliasDir)) {
            return result;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(aliasDir, "*.json")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String alias = name.substring(0, name.length() - ".json".length());
                // Skips AtomicFiles' temporary ".x.json….tmp" siblings and anything else not ours.
                if (isAlias(alias)) {
                    readAlias(alias).ifPresent(state -> result.put(alias, state.version()));
                }
            }
        } catch (IOException e) {
            throw ioFailure(e);
        }
        return result;
    }

    /** {@code SHA256SUMS}'s digest plus the name, size and modification time of every file in the package. */
    @Override
    public String contentToken(String version) {
        if (!isVersion(version)) {
            throw new RegistryException.NotFound("'" + version + "' is not a version such as v3");
        }
        Path dir = packageDir(version);
        if (!Files.isDirectory(dir)) {
            throw notFound(version);
        }
        StringBuilder token = new StringBuilder(version).append(';');
        try (var files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                var attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
                token.append(dir.relativize(file)).append(':').append(attrs.size()).append(':')
                        .append(attrs.lastModifiedTime().toMillis()).append(';');
            }
            Path sums = dir.resolve(ModelPackage.CHECKSUMS);
            if (Files.isRegularFile(sums)) {
                token.append(org.mnistpipeline.io.Sha256.of(Files.readAllBytes(sums)));
            }
        } catch (IOException | UncheckedIOException e) {
            throw ioFailure(e);
        }
        return org.mnistpipeline.io.Sha256.of(token.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public List<AliasChange> history(String alias) {
        checkAliasName(alias);
        return readAlias(alias).map(AliasState::history).orElse(List.of());
    }

    // ---- internals ----------------------------------------------------------------------------

    /**
     * On-disk alias: where it points, the versions it held before (last = most recent, popped by
     * rollback) and its full history. One file, so a single rename switches all three together.
     */
    record AliasState(int formatVersion, String alias, String version, List<String> previous,
            List<AliasChange> history) {
        AliasState {
            previous = List.copyOf(previous == null ? List.of() : previous);
            history = List.copyOf(history == null ? List.of() : history);
        }

        static AliasState empty(String alias) {
            return new AliasState(FORMAT_VERSION, alias, null, List.of(), List.of());
        }
    }

    /** registry.json: guards the on-disk layout and remembers the last number handed out. */
    record RegistryState(int formatVersion, int lastVersion) {}

    private void switchAlias(AliasState current, String target, List<String> previous, String reason) {
        crashPoints.reached(Step.ALIAS_VERIFIED);
        List<AliasChange> history = new ArrayList<>(current.history());
        history.add(new AliasChange(current.alias(), target, current.version(), clock.instant().toString(), reason));
        writeAlias(new AliasState(FORMAT_VERSION, current.alias(), target, previous, history));
        crashPoints.reached(Step.ALIAS_SWITCHED);
    }

    private void writeAlias(AliasState state) {
        byte[] content = (Json.pretty(state) + "\n").getBytes(StandardCharsets.UTF_8);
        // AtomicFiles writes a temp file, fsyncs, then renames: the alias is old or new, never neither.
        AtomicFiles.write(aliasDir.resolve(state.alias() + ".json"), out -> {
            out.write(content);
            crashPoints.reached(Step.ALIAS_WRITING);
        });
    }

    private Optional<AliasState> readAlias(String alias) {
        Path file = aliasDir.resolve(alias + ".json");
        AliasState state;
        try {
            state = Json.mapper().readValue(Files.readAllBytes(file), AliasState.class);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw brokenAlias(file, alias, "is unreadable (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        if (state == null) {
            throw brokenAlias(file, alias, "is empty", null);
        }
        checkFormat(state.formatVersion(), "alias file " + file);
        if (!isVersion(state.version())) {
            throw brokenAlias(file, alias, "names no valid version ('" + state.version() + "')", null);
        }
        for (String previous : state.previous()) {
            // A rollback opens what this list names: nothing but a version of this registry may be in it.
            if (!isVersion(previous)) {
                throw brokenAlias(file, alias, "lists '" + previous + "' among its previous versions, which is not a"
                        + " version such as v3", null);
            }
        }
        return Optional.of(state);
    }

    /**
     * A damaged alias file, and the repair that works: promote reads the current file too, so it
     * must first be moved out of the way (the history in it stays readable in the moved copy).
     */
    private RegistryException brokenAlias(Path file, String alias, String problem, Exception cause) {
        return new RegistryException("alias file " + file + " " + problem + "; to repair it, move it aside (mv " + file
                + " " + file + ".broken) and promote the version " + alias + " should serve (mnist models promote"
                + " VERSION --alias " + alias + "), or restore the file from a backup", cause);
    }

    private RegistryState readState() {
        Path file = root.resolve(STATE_FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new RegistryState(FORMAT_VERSION, 0);
        } catch (IOException e) {
            throw new RegistryException(file + " is unreadable (" + e.getMessage()
                    + "); restore it, or recreate it with the highest version number ever used", e);
        }
        return parseState(bytes, file, root);
    }

    private void writeState(int lastVersion) {
        Json.writeAtomically(root.resolve(STATE_FILE), new RegistryState(FORMAT_VERSION, lastVersion));
    }

    /** One above every number ever used; the directory scan covers a lost or stale registry.json. */
    private int nextNumber() {
        int highest = readState().lastVersion();
        for (String version : versions()) {
            highest = Math.max(highest, number(version));
        }
        return highest + 1;
    }

    /** Version directory names in numeric order (v2 before v10), set-aside packages included. */
    private List<String> versions() {
        java.util.Set<String> found = new java.util.HashSet<>();
        try {
            if (Files.isDirectory(models)) {
                try (var entries = Files.list(models)) {
                    entries.map(p -> p.getFileName().toString()).filter(RegistryRules::isVersion)
                            .filter(name -> Files.isDirectory(models.resolve(name))).forEach(found::add);
                }
            }
            for (Path aside : setAside()) {
                found.add(aside.getFileName().toString().split("-")[1]);
            }
        } catch (IOException e) {
            throw ioFailure(e);
        }
        return found.stream().sorted((a, b) -> Integer.compare(number(a), number(b)))
                .collect(Collectors.toCollection(ArrayList::new));
    }

    /**
     * Where a version's package is: {@code models/vN}, or, after a crash in the middle of
     * {@link #addFiles}, the old package set aside as {@code .replaced-vN-*} (whole and sealed; the
     * next writer puts it back). Readers use it where it is: they write nothing.
     */
    private Path packageDir(String version) {
        Path dir = models.resolve(version);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        try {
            return setAside().stream().filter(p -> p.getFileName().toString().startsWith(".replaced-" + version + "-"))
                    .findFirst().orElse(dir);
        } catch (IOException e) {
            throw ioFailure(e);
        }
    }

    /** {@code .replaced-vN-*} directories whose {@code models/vN} is missing: interrupted swaps. */
    private List<Path> setAside() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (var entries = Files.list(root)) {
            return entries.filter(p -> {
                String[] parts = p.getFileName().toString().split("-");
                return p.getFileName().toString().startsWith(".replaced-") && parts.length > 2 && isVersion(parts[1])
                        && !Files.isDirectory(models.resolve(parts[1])) && Files.isDirectory(p);
            }).sorted().toList();
        }
    }

    private String resolveVersion(String versionOrAlias) {
        if (isVersion(versionOrAlias)) {
            if (!Files.isDirectory(packageDir(versionOrAlias))) {
                throw notFound(versionOrAlias);
            }
            return versionOrAlias;
        }
        if (!hasAliasForm(versionOrAlias)) {
            throw new RegistryException.NotFound("'" + versionOrAlias + "' is neither a version such as v3 nor an alias"
                    + " such as production; versions: " + versions() + ", aliases: " + aliases().keySet());
        }
        String version = readAlias(versionOrAlias).map(AliasState::version).orElseThrow(() ->
                new RegistryException.NotFound("no alias or version '" + versionOrAlias + "' in registry " + root
                        + "; aliases: " + aliases().keySet()));
        if (!Files.isDirectory(packageDir(version))) {
            throw new RegistryException("alias " + versionOrAlias + " points at " + version
                    + ", which is not in the registry; promote an existing version to " + versionOrAlias);
        }
        return version;
    }

    private ModelPackage verified(String version) {
        ModelPackage pkg = ModelPackage.open(packageDir(version));
        checkedVersion(pkg.dir(), version, pkg.manifest());
        return pkg;
    }

    private RegistryException.NotFound notFound(String version) {
        return new RegistryException.NotFound("no model version " + version + " in registry " + root
                + "; versions: " + versions());
    }

    /**
     * Runs {@code work} holding this registry's lock, against other threads and other processes,
     * after cleaning up what a crashed writer left. Only writers come here.
     */
    private <T> T locked(DirectoryLock.Work<T> work) {
        try {
            return lock.run(() -> {
                cleanUpAfterCrashes();
                return work.run();
            });
        } catch (IOException | UncheckedIOException e) {
            throw ioFailure(e);
        }
    }

    private RegistryException ioFailure(Exception e) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        return new RegistryException(DiskProblems.describe(e, "registry " + root)
                .orElse("registry " + root + ": " + (cause.getMessage() == null ? cause.toString() : cause.getMessage())
                        + "; check that the directory exists, is writable and has free space"), e);
    }
}
