package org.mnistpipeline.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.mnistpipeline.data.Dataset;
import org.mnistpipeline.eval.EpochMetrics;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.release.OnnxScoring;
import org.mnistpipeline.release.ReleaseService;
import org.mnistpipeline.report.ReportInput;
import org.mnistpipeline.report.ReportWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mnist evaluate}: score a registered model on a dataset's test set and write a report. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a registered model on the test set in ONNX Runtime, as served: accuracy, per-class precision/recall/F1,"
                + " confusion matrix, calibration (ECE), worst mistakes; writes report.html and metrics.json.")
final class EvaluateCommand extends MnistSubcommand {
    @Parameters(paramLabel = "VERSION", defaultValue = "production",
            description = "Version or alias to evaluate (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(names = "--data", description = "IDX dataset directory whose test set to use (default: MNIST).")
    Path data;

    @Option(names = "--out", description = "Report directory (default: ./reports/<version>).")
    Path out;

    @Option(names = "--json", description = "Print the headline metrics as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Context context = root.context;
        ModelPackage pkg = context.registry().get(version);
        ModelManifest manifest = pkg.manifest();
        Dataset dataset = context.dataset(data);
        // Scored as served and as released: the package's ONNX graph in ONNX Runtime.
        Evaluation test = OnnxScoring.evaluate(ReleaseService.onnxOf(pkg), manifest.version(), dataset.test(),
                dataset.source().toString()).evaluation();
        Path dir = out != null ? out : Path.of("reports", manifest.version());
        List<EpochMetrics> curves = TrainingLog.read(pkg.file("training/metrics.jsonl"));
        ReportWriter.write(dir, new ReportInput("MNIST model " + manifest.version() + " - test set",
                ReleaseService.reportFacts(manifest), test, curves, dataset.test()));
        if (json) {
            context.out.println(Json.pretty(java.util.Map.of("version", manifest.version(), "test_accuracy",
                    test.accuracy(), "test_ece", test.expectedCalibrationError(), "test_log_loss", test.logLoss(),
                    "report", dir.resolve(ReportWriter.HTML).toAbsolutePath().toString())));
        } else {
            context.out.printf(Locale.ROOT, "model %s on %s: test accuracy %.2f%%, ECE %.4f, log loss %.4f%n",
                    manifest.version(), dataset.source(), test.accuracy() * 100, test.expectedCalibrationError(),
                    test.logLoss());
            context.out.println("report: " + dir.resolve(ReportWriter.HTML).toAbsolutePath());
        }
        return 0;
    }
}
