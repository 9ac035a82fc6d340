package org.mnistpipeline.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;

/**
 * Window summaries under an object prefix: {@code <root>/<model-version>/<window-start>-<instance>.json},
 * one object per window and writer (a PUT is atomic). Entry names start with the window start, and
 * the store lists keys in order, so a read lists from just before the earliest window that could
 * reach into its span instead of listing a year of summaries.
 *
 * @param storage the object store
 * @param root    the prefix holding one sub-prefix per model version
 */
public record ObjectSummaryStore(ObjectStorage storage, ObjectPath root) implements SummaryStore {

    @Override
    public String write(PredictionSummary summary, String instance) {
        ObjectPath path = versionPrefix(summary.modelVersion()).resolve(SummaryStore.entryName(summary, instance));
        storage.put(path, (Json.pretty(summary) + "\n").getBytes(StandardCharsets.UTF_8));
        return path.toString();
    }

    @Override
    public Found read(String modelVersion, Instant from, Instant to) {
        ObjectPath prefix = versionPrefix(modelVersion);
        Overlapping overlapping = new Overlapping(modelVersion, from, to);
        String startAfter = prefix.prefix() + SummaryStore.timePrefix(from.minus(MAX_WINDOW));
        for (String key : storage.list(prefix, startAfter)) {
            String name = prefix.relativize(key);
            if (name == null || name.contains("/") || !name.endsWith(".json")
                    || !SummaryStore.mayOverlap(name, from, to)) {
                continue;
            }
            overlapping.offer(() -> parse(storage.get(new ObjectPath(root.bucket(), key))
                    .orElseThrow(() -> new IllegalStateException(key + " was deleted while being read")).bytes()));
        }
        return overlapping.found();
    }

    @Override
    public String location() {
        return root.toString();
    }

    private static PredictionSummary parse(byte[] bytes) {
        try {
            return Json.mapper().readValue(bytes, PredictionSummary.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ObjectPath versionPrefix(String modelVersion) {
        return root.resolve(SummaryStore.safe(modelVersion, "model version"));
    }
}
