package org.mnistpipeline.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * Run records as one object per run under a prefix ({@code <dir>/<run>.json}); a PUT replaces a
 * record atomically, so a reader sees the record before or after a step, never half of one.
 *
 * @param storage the object store
 * @param dir     the prefix holding the records
 */
public record ObjectRunStore(ObjectStorage storage, ObjectPath dir) implements RunStore {

    @Override
    public void save(RunRecord run) {
        storage.put(path(run.id()), (Json.pretty(run) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Optional<RunRecord> find(String id) {
        ObjectPath path = path(id);
        return storage.get(path).map(stored -> parse(path, stored.bytes()));
    }

    @Override
    public List<RunRecord> list() {
        List<RunRecord> runs = new ArrayList<>();
        for (String key : storage.list(dir)) { // keys come sorted, and run ids sort by start time
            String name = dir.relativize(key);
            if (name != null && !name.contains("/") && name.endsWith(".json")) {
                ObjectPath path = new ObjectPath(dir.bucket(), key);
                storage.get(path).ifPresent(stored -> runs.add(parse(path, stored.bytes())));
            }
        }
        return runs;
    }

    @Override
    public String location(String id) {
        return path(id).toString();
    }

    private ObjectPath path(String id) {
        return dir.resolve(id + ".json");
    }

    private static RunRecord parse(ObjectPath path, byte[] bytes) {
        try {
            return Json.mapper().readValue(bytes, RunRecord.class);
        } catch (IOException e) {
            throw new MnistException("cannot read run record " + path + ": " + e.getMessage(), e);
        }
    }
}
