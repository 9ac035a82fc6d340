package org.mnistpipeline.pipeline.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.store.ObjectLease;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * The data store under an object prefix, in {@link DataStore}'s layout:
 *
 * <pre>
 * root/batches/&lt;id&gt;/…             one batch: its files, then manifest.json, which publishes it
 * root/quarantine/&lt;id&gt;/…          the original bytes of every refused record (uploaded first)
 * root/lock                       the writers' lease (see {@link ObjectLease})
 * </pre>
 *
 * A batch is an immutable, content-addressed prefix (its id is the digest of its content), and it
 * exists once its {@code manifest.json} does: that object is written last, with
 * {@code If-None-Match: *}. Readers take no lease; they list manifests and verify every file
 * against them.
 *
 * <p>Validation is {@link DataStore}'s own, unchanged: under the writers' lease, a local mirror in
 * scratch space is brought level with the store (published batches downloaded, anything not
 * published dropped), the source is ingested into the mirror by a {@link DataStore}, which checks
 * it against every stored record as it does on disk, and a new batch is then uploaded. The mirror
 * is a cache: deleting it costs a download, never data.
 */
public final class ObjectDataStore implements IngestStore {
    /** Long enough for any one ingest; a writer that dies holds the store for no longer. */
    public static final Duration LEASE_TTL = Duration.ofMinutes(5);
    /** How long an ingest waits for another one to finish before giving up. */
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    private final ObjectStorage storage;
    private final ObjectPath root;
    private final Path mirror;
    private final Path downloads;

    /** @param scratch local scratch space for the mirror and downloads (safe to delete) */
    public ObjectDataStore(ObjectStorage storage, ObjectPath root, Path scratch) {
        this.storage = storage;
        this.root = root;
        this.mirror = scratch.toAbsolutePath().normalize().resolve("mirror");
        this.downloads = scratch.toAbsolutePath().normalize().resolve("downloads");
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public List<BatchManifest> batches() {
        return new ArrayList<>(published().values());
    }

    @Override
    public LabeledImages load(String batchId) {
        BatchManifest manifest = published().get(batchId);
        if (manifest == null) {
            throw new DataException("no batch " + batchId + " in data store " + root
                    + "; `mnist data batches` lists them");
        }
        mirrored(manifest);
        try {
            return local().load(batchId);
        } catch (DataException damaged) {
            // The mirror's copy, not the store's, may be what is damaged: fetch it again once.
            deleteQuietly(mirror.resolve("batches").resolve(batchId));
            mirrored(manifest);
            return local().load(batchId);
        }
    }

    @Override
    public IngestResult ingest(Path source) {
        String holder = "pid " + ProcessHandle.current().pid() + " ingesting " + source;
        ObjectLease lease;
        try {
            lease = ObjectLease.acquireWaiting(storage, root.resolve("lock"), LEASE_TTL, Clock.systemUTC(), holder,
                    PATIENCE);
        } catch (ObjectLease.Held held) {
            throw new DataException("data store " + root + " is busy: " + held.getMessage() + "; try again later");
        }
        try (lease) {
            Map<String, BatchManifest> published = published();
            level(published);
            IngestResult result;
            try {
                result = local().ingest(source);
            } catch (IngestException nothingStored) {
                publishQuarantines(quarantineKeys());
                throw new IngestException(inStore(nothingStored.getMessage()), nothingStored.rejected());
            }
            if (!lease.held()) {
                throw new DataException("data store " + root + ": the writers' lease was lost while ingesting "
                        + source + "; nothing was published, ingest it again");
            }
            if (!result.alreadyIngested() || !published.containsKey(result.batch().id())) {
                publish(result.batch().id());
            }
            return result;
        }
    }

    /** Published batches by id, in sequence order: every {@code batches/<id>/manifest.json}. */
    private Map<String, BatchManifest> published() {
        ObjectPath batches = root.resolve("batches");
        List<BatchManifest> found = new ArrayList<>();
        for (String key : storage.list(batches)) {
            String relative = batches.relativize(key);
            if (relative == null || !relative.endsWith("/" + DataStore.MANIFEST)
                    || relative.indexOf('/') != relative.lastIndexOf('/')) {
                continue;
            }
            String id = relative.substring(0, relative.indexOf('/'));
            ObjectPath path = new ObjectPath(root.bucket(), key);
            storage.get(path).ifPresent(stored -> found.add(parse(id, path, stored.bytes())));
        }
        found.sort(Comparator.comparingInt(BatchManifest::sequence));
        Map<String, BatchManifest> byId = new LinkedHashMap<>();
        found.forEach(m -> byId.put(m.id(), m));
        return byId;
    }

    private static BatchManifest parse(String id, ObjectPath path, byte[] bytes) {
        BatchManifest m;
        try {
            m = Json.mapper().readValue(bytes, BatchManifest.class);
        } catch (IOException | RuntimeException e) {
            throw new DataException("batch " + id + ": " + path + " is unreadable: " + e.getMessage(), e);
        }
        if (m.formatVersion() != BatchManifest.FORMAT_VERSION) {
            throw new DataException("batch " + id + " has format version " + m.formatVersion() + "; this release reads "
                    + BatchManifest.FORMAT_VERSION + ": upgrade mnist-pipeline");
        }
        if (!id.equals(m.id())) {
            throw new DataException("batch prefix " + id + " holds the manifest of batch " + m.id());
        }
        return m;
    }

    /** Brings the mirror level with the store: published batches present, nothing else. */
    private void level(Map<String, BatchManifest> published) {
        Path batches = mirror.resolve("batches");
        if (Files.isDirectory(batches)) {
            try (Stream<Path> dirs = Files.list(batches)) {
                for (Path dir : dirs.toList()) {
                    if (!published.containsKey(dir.getFileName().toString())) {
                        deleteQuietly(dir); // stored locally by an ingest that never got published
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list the mirror " + batches, e);
            }
        }
        published.values().forEach(this::mirrored);
    }

    /** Makes sure the mirror holds {@code manifest}'s batch, downloading it whole if not. */
    private void mirrored(BatchManifest manifest) {
        Path target = mirror.resolve("batches").resolve(manifest.id());
        if (Files.isRegularFile(target.resolve(DataStore.MANIFEST)) && sameManifest(target, manifest)) {
            return;
        }
        Path staging = downloads.resolve(manifest.id() + "-" + UUID.randomUUID());
        ObjectPath batch = root.resolve("batches").resolve(manifest.id());
        try {
            Files.createDirectories(staging);
            for (String file : manifest.fingerprint().files().keySet()) {
                storage.download(batch.resolve(file), staging.resolve(file));
            }
            storage.download(batch.resolve(DataStore.MANIFEST), staging.resolve(DataStore.MANIFEST));
            Files.createDirectories(target.getParent());
            deleteQuietly(target); // a partial copy without its manifest
            Files.move(staging, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (ObjectStorage.NotFound e) {
            throw new DataException("batch " + manifest.id() + " in " + root + " is damaged: " + e.getMessage()
                    + "; restore it or re-ingest its source", e);
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
            // another thread or process mirrored it first
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mirror batch " + manifest.id() + " into " + target, e);
        } finally {
            deleteQuietly(staging);
        }
    }

    /** Whether the mirror's copy is the published batch (same content and the same data version). */
    private static boolean sameManifest(Path dir, BatchManifest published) {
        try {
            return Json.read(dir.resolve(DataStore.MANIFEST), BatchManifest.class).equals(published);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Uploads a batch the mirror's {@link DataStore} has just stored: its quarantine first (so the
     * bytes {@code quarantine.jsonl} names exist once the batch does), then its files, then its
     * manifest, which publishes it.
     */
    private void publish(String id) {
        uploadTree(mirror.resolve("quarantine").resolve(id), root.resolve("quarantine").resolve(id));
        Path dir = mirror.resolve("batches").resolve(id);
        ObjectPath batch = root.resolve("batches").resolve(id);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                if (!file.getFileName().toString().equals(DataStore.MANIFEST)) {
                    storage.upload(batch.resolve(file.getFileName().toString()), file);
                }
            }
            storage.putIfAbsent(batch.resolve(DataStore.MANIFEST), Files.readAllBytes(dir.resolve(DataStore.MANIFEST)));
        } catch (ObjectStorage.ConditionFailed alreadyPublished) {
            // the same content, published by an earlier attempt: content addressing makes it the same batch
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read batch " + id + " from the mirror " + dir, e);
        }
    }

    /** Quarantines of sources refused whole ({@code rejected-<digest>}) that are not in the store yet. */
    private void publishQuarantines(Set<String> inStore) {
        Path dir = mirror.resolve("quarantine");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : entries.toList()) {
                String key = entry.getFileName().toString();
                if (key.startsWith("rejected-") && !inStore.contains(key)) {
                    uploadTree(entry, root.resolve("quarantine").resolve(key));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the mirror's quarantine " + dir, e);
        }
    }

    private Set<String> quarantineKeys() {
        ObjectPath quarantine = root.resolve("quarantine");
        Set<String> keys = new java.util.HashSet<>();
        for (String key : storage.list(quarantine)) {
            String relative = quarantine.relativize(key);
            if (relative != null && relative.contains("/")) {
                keys.add(relative.substring(0, relative.indexOf('/')));
            }
        }
        return keys;
    }

    private void uploadTree(Path dir, ObjectPath prefix) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                storage.upload(prefix.resolve(dir.relativize(file).toString().replace('\\', '/')), file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot upload " + dir + " to " + prefix, e);
        }
    }

    /** Messages of the mirror's store name local scratch paths; say where the data really is. */
    private String inStore(String message) {
        return message.replace(mirror.toString(), root.toString());
    }

    private DataStore local() {
        return new DataStore(mirror);
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException ignored) {
            // scratch; an unpublished leftover is dropped again on the next ingest
        }
    }
}
