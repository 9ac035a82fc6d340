package org.mnistpipeline.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.model.ModelManifest;

/**
 * What a model learned from: the first {@code baseImages} training images of an IDX dataset
 * ({@code 0} = all of them) plus stored batches. Kept in the manifest's provenance, so any model,
 * including one made by {@code mnist train}, says which data the next retrain must replay.
 */
public record Lineage(String baseSource, int baseImages, List<String> batches) {
    static final String BASE_SOURCE = "pipeline.base_source";
    static final String BASE_IMAGES = "pipeline.base_images";
    static final String BATCHES = "pipeline.batches";

    public Lineage {
        batches = List.copyOf(batches);
    }

    /** The lineage recorded in a manifest; models trained outside the pipeline have no batches. */
    public static Lineage of(ModelManifest manifest) {
        Map<String, String> p = manifest.provenance();
        if (p.containsKey(BASE_SOURCE)) {
            String batches = p.getOrDefault(BATCHES, "");
            return new Lineage(p.get(BASE_SOURCE), Integer.parseInt(p.getOrDefault(BASE_IMAGES, "0")),
                    batches.isEmpty() ? List.of() : Arrays.asList(batches.split(",")));
        }
        return new Lineage(manifest.data().source(), manifest.hyperparameters().maxTrainImages(), List.of());
    }

    public Lineage plus(List<String> newBatches) {
        List<String> all = new ArrayList<>(batches);
        newBatches.stream().filter(b -> !all.contains(b)).forEach(all::add);
        return new Lineage(baseSource, baseImages, all);
    }

    /** Provenance entries that record this lineage. */
    public Map<String, String> asProvenance() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(BASE_SOURCE, baseSource);
        p.put(BASE_IMAGES, Integer.toString(baseImages));
        p.put(BATCHES, String.join(",", batches));
        return p;
    }
}
