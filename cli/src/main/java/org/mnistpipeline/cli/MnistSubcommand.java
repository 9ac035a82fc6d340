package org.mnistpipeline.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.ParentCommand;

/** Base of the {@code mnist} commands that run by themselves: picocli injects the root command into {@code root}. */
abstract class MnistSubcommand implements Callable<Integer> {
    @ParentCommand
    MnistCli root;
}
