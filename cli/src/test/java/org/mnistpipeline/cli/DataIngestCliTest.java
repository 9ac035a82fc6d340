package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;

class DataIngestCliTest {
    @TempDir
    Path home;

    private CliRunner.Result run(String... args) {
        return new CliRunner(home).run(args);
    }

    /** MNIST test image {@code index} as a 28 px grey PNG (ink bright on black, as MNIST stores it). */
    private static byte[] png(Idx.IdxArray images, int index) throws IOException {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28,
                java.util.Arrays.copyOfRange(images.data(), index * 784, index * 784 + 784));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** Eight real digits in label folders, plus a corrupt file and a wrongly named folder. */
    private Path batch() throws IOException {
        Map<IdxDirectory.Role, Path> files = IdxDirectory.locate(Locations.fromEnvironment().dataDir());
        Idx.IdxArray images = Idx.read(files.get(IdxDirectory.Role.TEST_IMAGES));
        Idx.IdxArray labels = Idx.read(files.get(IdxDirectory.Role.TEST_LABELS));
        Path src = home.resolve("incoming");
        assertThat(labels.data()[0]).as("MNIST test image 0 is a 7").isEqualTo((byte) 7);
        for (int i = 0; i < 8; i++) {
            Path file = src.resolve((labels.data()[i] & 0xff) + "/" + i + ".png");
            Files.createDirectories(file.getParent());
            Files.write(file, png(images, i));
        }
        Files.createDirectories(src.resolve("ten"));
        Files.write(src.resolve("ten/a.png"), png(images, 8));
        Files.write(src.resolve("7/broken.png"), "not a picture".getBytes(StandardCharsets.UTF_8));
        return src;
    }

    @Test
    void ingestPrintsCountsThenANoOpOnTheSecondRun() throws IOException {
        Path src = batch();

        var first = run("data", "ingest", src.toString());
        assertThat(first.exitCode()).as(first.err()).isEqualTo(ExitCodes.OK);
        assertThat(first.out()).contains("data version 1").contains("accepted     8")
                .contains("quarantined  2 (1 bad label, 1 undecodable)")
                .contains("quarantined ten/a.png: folder name 'ten' is not a label")
                .contains("quarantined 7/broken.png: not a PNG, JPEG, GIF or BMP image")
                .contains(home.resolve("datastore").toString());
        assertThat(home.resolve("datastore/batches")).isDirectory();

        var again = run("data", "ingest", src.toString());
        assertThat(again.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(again.out()).startsWith("already ingested: batch").contains("data version 1");

        var list = run("data", "batches");
        assertThat(list.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(list.out()).contains("version").contains("total    8 images");
        assertThat(list.out().lines().filter(l -> l.startsWith("1 "))).hasSize(1);
    }

    @Test
    void jsonOutputCarriesTheManifestAndTheRejections() throws IOException {
        Path store = home.resolve("elsewhere");
        var r = run("data", "ingest", batch().toString(), "--store", store.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.OK);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = Json.parse(r.out(), Map.class);
        assertThat(json).containsEntry("alreadyIngested", false).containsKey("rejected");
        assertThat((Map<String, Object>) json.get("batch")).containsEntry("accepted", 8).containsEntry("sequence", 1);
        assertThat(store.resolve("batches")).isDirectory();
        assertThat(run("data", "batches", "--store", store.toString(), "--json").out()).contains("\"accepted\" : 8");
    }

    @Test
    void missingSourceOrNothingAcceptableExitsWithTheDataCodeAndOneLine() throws IOException {
        var missing = run("data", "ingest", home.resolve("nowhere").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(missing.err().strip()).startsWith("mnist: error: source").contains("is not a directory").hasLineCount(1);

        Path bad = home.resolve("bad");
        Files.createDirectories(bad.resolve("5"));
        Files.write(bad.resolve("5/x.png"), "nope".getBytes(StandardCharsets.UTF_8));
        var none = run("data", "ingest", bad.toString());
        assertThat(none.exitCode()).isEqualTo(ExitCodes.DATA);
        assertThat(none.err().strip()).contains("nothing to store").contains("1 undecodable").hasLineCount(1);
        assertThat(none.out()).contains("quarantined 5/x.png: not a PNG");
        assertThat(run("data", "batches").out()).contains("no batches in");
    }

    @Test
    void sampleCutsAShiftedBatchThatIngestsWholeAndRefusesARangeOutsideTheTrainingSet() {
        Path dir = home.resolve("sample");
        assertThat(run("data", "sample", "--out", dir.toString(), "--from", "58000", "--count", "300", "--shift",
                "thick+slant:12").exitCode()).isZero();
        var ingested = run("data", "ingest", dir.toString());
        assertThat(ingested.exitCode()).as(ingested.err()).isZero();
        assertThat(new org.mnistpipeline.pipeline.ingest.DataStore(home.resolve("datastore")).batches().getFirst()
                .accepted()).isEqualTo(300);

        var bad = run("data", "sample", "--out", home.resolve("x").toString(), "--from", "59999", "--count", "2");
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("outside the 60000 training images");
    }
}
