package org.mnistpipeline.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.Splits;
import org.mnistpipeline.io.Sha256;

/**
 * The images behind a lineage, read back: the base dataset (its training head and its test set,
 * the fixed original holdout) and each batch split into a training part and a held-back part. All
 * splits and samples are seeded, so a resumed step rebuilds exactly the same sets.
 */
public final class Corpus {
    private final Path baseDir;
    private final Lineage lineage;
    private final BatchStore store;
    private Dataset base;

    private Corpus(Path baseDir, Lineage lineage, BatchStore store) {
        this.baseDir = baseDir;
        this.lineage = lineage;
        this.store = store;
    }

    public static Corpus open(Lineage lineage, BatchStore store) {
        Path dir = Path.of(lineage.baseSource());
        if (!Files.isDirectory(dir)) {
            throw new DataException("the champion's base data " + dir + " is gone; replay needs it");
        }
        return new Corpus(dir, lineage, store);
    }

    /** The whole base dataset, read (and fingerprinted) on first use. */
    public Dataset base() {
        if (base == null) {
            base = IdxDirectory.load(baseDir);
        }
        return base;
    }

    /** The original test set; scoring alone does not read the much larger training files. */
    public LabeledImages test() {
        return base != null ? base.test() : IdxDirectory.loadTest(baseDir);
    }

    /** The training images of the base dataset the lineage used. */
    public LabeledImages baseTrain() {
        return lineage.baseImages() > 0 ? base().train().head(lineage.baseImages()) : base().train();
    }

    /** A batch's two parts: what the challenger may learn from and what only the gate sees. */
    public record Parts(LabeledImages train, LabeledImages holdout) {}

    public Parts batch(String id, double holdoutFraction) {
        LabeledImages all = store.load(id);
        int holdout = Math.max(1, (int) Math.round(all.size() * holdoutFraction));
        if (holdout >= all.size()) {
            throw new DataException("batch " + id + " has " + all.size() + " images, too few to hold any back");
        }
        int[] order = Splits.permutation(all.size(), seedOf(id));
        return new Parts(all.select(Arrays.copyOfRange(order, holdout, order.length)),
                all.select(Arrays.copyOfRange(order, 0, holdout)));
    }

    /** Training parts of the lineage's own batches plus the base head: everything learnt so far. */
    public LabeledImages learnedSoFar(double holdoutFraction) {
        List<LabeledImages> parts = new ArrayList<>();
        parts.add(baseTrain());
        for (String id : lineage.batches()) {
            parts.add(batch(id, holdoutFraction).train());
        }
        return LabeledImages.concat(parts);
    }

    /** {@code count} images drawn without replacement from {@code pool}, seeded. */
    public static LabeledImages sample(LabeledImages pool, int count, long seed) {
        int[] order = Splits.permutation(pool.size(), seed);
        return pool.select(Arrays.copyOf(order, Math.min(count, pool.size())));
    }

    /** Joined holdouts of {@code batches}. */
    public LabeledImages holdouts(List<String> batches, double holdoutFraction) {
        List<LabeledImages> parts = new ArrayList<>();
        for (String id : batches) {
            parts.add(batch(id, holdoutFraction).holdout());
        }
        return LabeledImages.concat(parts);
    }

    public static long seedOf(String text) {
        return Long.parseUnsignedLong(Sha256.of(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 15),
                16);
    }
}
