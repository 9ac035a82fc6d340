package org.mnistpipeline.pipeline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.hostile.HostileImages;
import org.mnistpipeline.pipeline.ingest.Rejection.Kind;

/**
 * Issue 15, defect 5: {@code data ingest} decodes under the same budget as the server. A hostile
 * file (a bomb within the pixel limit, a BMP claiming 2 GB of embedded PNG, a PNG chunk claiming
 * 2 GB) is quarantined with its reason, and the rest of the batch is stored.
 */
class IngestLimitsTest {
    @TempDir
    Path tmp;

    @Test
    void hostileImagesAreQuarantinedWithTheirReasonAndTheBatchGoesOn() throws IOException {
        Path src = tmp.resolve("incoming");
        int[] good = {0, 1, 2};
        for (int i : good) {
            write(src.resolve(MnistDigits.label(i) + "/d" + i + ".png"), MnistDigits.png(i, 112));
        }
        write(src.resolve("3/bomb16.png"), HostileImages.png(6300, 6300, 16, HostileImages.RGBA,
                HostileImages.BLANK));
        write(src.resolve("4/embedded.bmp"), HostileImages.bmpEmbedding(5, 0x7ffffff0L,
                HostileImages.encode(new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY), "png")));
        write(src.resolve("5/chunk.png"), HostileImages.png(64, 64, 8, HostileImages.PALETTE, HostileImages.BLANK,
                HostileImages.chunk("tEXt", "a\0b".getBytes(StandardCharsets.ISO_8859_1), 0x7ffffff0L)));
        // The budget `mnist serve` gets from a 512 MB heap; ingest decodes one image at a time under it.
        ImagePreprocessor preprocessor = new ImagePreprocessor(ImagePreprocessor.DEFAULT_MAX_PIXELS,
                new MemoryBudget(256L << 20));
        DataStore store = new DataStore(tmp.resolve("store"), Clock.systemUTC(), preprocessor, step -> { });

        IngestResult result = store.ingest(src);

        assertThat(result.batch().accepted()).isEqualTo(good.length);
        Map<String, Rejection> rejected = result.rejected().stream()
                .collect(Collectors.toMap(Rejection::record, Function.identity()));
        assertThat(rejected).containsOnlyKeys("3/bomb16.png", "4/embedded.bmp", "5/chunk.png");
        assertThat(rejected.get("3/bomb16.png").kind()).isEqualTo(Kind.TOO_LARGE);
        assertThat(rejected.get("3/bomb16.png").reason()).contains("6300×6300 PNG needs about");
        assertThat(rejected.get("4/embedded.bmp").kind()).isEqualTo(Kind.UNDECODABLE);
        assertThat(rejected.get("4/embedded.bmp").reason()).contains("embedded PNG data are not supported");
        assertThat(rejected.get("5/chunk.png").kind()).isEqualTo(Kind.UNDECODABLE);
        assertThat(rejected.get("5/chunk.png").reason()).contains("claims 2147483632 bytes");
        assertThat(result.batch().quarantined()).isEqualTo(3);
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
