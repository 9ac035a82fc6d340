package org.mnistpipeline.inference.hostile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The resident set size of a child process, read from {@code /proc} (Linux), sampled every 50 ms
 * on a daemon thread while it lives: memory measured from outside, native memory included.
 */
public final class ProcessMemory implements AutoCloseable {
    private final Process process;
    private final AtomicLong peakKb = new AtomicLong();
    private final Thread sampler;

    private ProcessMemory(Process process) {
        this.process = process;
        this.sampler = Thread.ofPlatform().daemon().name("rss-sampler-" + process.pid()).start(this::sample);
    }

    /** Starts sampling {@code process}. */
    public static ProcessMemory watch(Process process) {
        return new ProcessMemory(process);
    }

    /** The highest RSS seen, in MiB. */
    public long peakMib() {
        return peakKb.get() / 1024;
    }

    /** RSS now, in MiB. */
    public long nowMib() {
        return rssKb(process.pid()) / 1024;
    }

    /** VmRSS of {@code pid}, in KiB; 0 when it is gone (or not on Linux). */
    public static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    private void sample() {
        while (process.isAlive()) {
            peakKb.accumulateAndGet(rssKb(process.pid()), Math::max);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        sampler.interrupt();
    }
}
