package org.mnistpipeline.bench;

import org.mnistpipeline.pipeline.BatchStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.data.IdxReader;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.io.Sha256;

/** Development stand-in until the real data store lands. */
final class BenchStores implements BatchStore {
    private final List<StoredBatch> batches = new ArrayList<>();
    private final java.util.Map<String, LabeledImages> images = new java.util.HashMap<>();

    static BatchStore open(java.nio.file.Path root) {
        return new BenchStores();
    }

    @Override
    public StoredBatch ingest(Path source) {
        try {
            Path img;
            Path lab;
            try (var s = Files.list(source)) {
                List<Path> files = s.sorted().toList();
                img = files.stream().filter(f -> f.toString().contains("images")).findFirst().orElseThrow();
                lab = files.stream().filter(f -> f.toString().contains("labels")).findFirst().orElseThrow();
            }
            LabeledImages li = LabeledImages.of(IdxReader.read(img), IdxReader.read(lab), source.toString());
            li = new LabeledImages(li.pixels(), li.labels(), li.rows(), li.cols(), 10);
            String id = Sha256.of(li.pixels()).substring(0, 16);
            for (StoredBatch b : batches) {
                if (b.id().equals(id)) {
                    return new StoredBatch(id, b.sequence(), b.source(), b.accepted(), 0, true);
                }
            }
            StoredBatch b = new StoredBatch(id, batches.size() + 1, source.toString(), li.size(), 0, false);
            batches.add(b);
            images.put(id, li);
            return b;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public List<StoredBatch> batches() {
        return List.copyOf(batches);
    }

    @Override
    public LabeledImages load(String batchId) {
        return images.get(batchId);
    }
}
