package org.mnistpipeline.train;

import java.io.PrintStream;
import java.util.Locale;
import org.mnistpipeline.eval.EpochMetrics;

/**
 * A live progress bar (images/s, loss, ETA) redrawn in place on a terminal, or a plain log line
 * every tenth of an epoch when the output is a file or a CI log. Epoch summaries always go to
 * {@code out} in the fixed {@code key=value} format that log scrapers read.
 */
public final class ConsoleProgress implements TrainingListener {
    private final PrintStream out;
    private final PrintStream status;
    private final boolean terminal;
    private long lastDraw;
    private int lastDecile = -1;

    public ConsoleProgress(PrintStream out, PrintStream status, boolean terminal) {
        this.out = out;
        this.status = status;
        this.terminal = terminal;
    }

    /** True when standard output is an interactive terminal. */
    public static boolean stdoutIsTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // JDK 22+ returns a Console even when redirected; isTerminal() tells the truth there.
            return (boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    @Override
    public void onBatch(int epoch, int epochs, int done, int total, double loss, double imagesPerSecond) {
        double fraction = (double) done / total;
        double eta = imagesPerSecond > 0 ? (total - done) / imagesPerSecond : 0;
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw < 100_000_000L && done < total) {
                return;
            }
            lastDraw = now;
            int width = 30;
            int filled = (int) Math.round(fraction * width);
            status.print(String.format(Locale.ROOT, "\repoch %d/%d [%s%s] %3.0f%% loss %.4f %5.0f img/s ETA %s  ",
                    epoch, epochs, "=".repeat(filled), " ".repeat(width - filled), fraction * 100, loss,
                    imagesPerSecond, formatSeconds(eta)));
            status.flush();
        } else {
            int decile = (int) (fraction * 10);
            if (decile != lastDecile && decile < 10) {
                lastDecile = decile;
                status.println(String.format(Locale.ROOT, "epoch %d/%d %3d%% loss %.4f %.0f img/s ETA %s",
                        epoch, epochs, decile * 10, loss, imagesPerSecond, formatSeconds(eta)));
            }
        }
    }

    @Override
    public void onEpoch(EpochMetrics metrics) {
        if (terminal) {
            status.print("\r" + " ".repeat(100) + "\r");
        }
        lastDecile = -1;
        out.println(metrics.logLine());
        out.flush();
    }

    @Override
    public void onMessage(String message) {
        status.println(message);
    }

    static String formatSeconds(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format("%dm%02ds", s / 60, s % 60);
    }
}
