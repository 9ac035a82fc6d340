package org.mnistpipeline.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mnistpipeline.data.IdxTestFiles.gzip;
import static org.mnistpipeline.data.IdxTestFiles.idx;
import static org.mnistpipeline.data.IdxTestFiles.write;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    private static final byte[] PIXELS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255};

    @Test
    void rawFileRoundTripsDimensionsAndBytes() {
        Path file = write(dir.resolve("images"), idx(new int[] {2, 2, 3}, PIXELS));

        Idx.IdxArray array = Idx.read(file);

        assertThat(array.dims()).containsExactly(2, 2, 3);
        assertThat(array.count()).isEqualTo(2);
        assertThat(array.data()).containsExactly(PIXELS);
    }

    @Test
    void gzipFileRoundTripsDimensionsAndBytes() {
        Path file = write(dir.resolve("images.gz"), gzip(idx(new int[] {2, 2, 3}, PIXELS)));

        Idx.IdxArray array = Idx.read(file);

        assertThat(array.dims()).containsExactly(2, 2, 3);
        assertThat(array.data()).containsExactly(PIXELS);
    }

    @Test
    void gzipIsRecognisedByContentNotByName() {
        Path file = write(dir.resolve("labels-without-extension"), gzip(idx(new int[] {3}, new byte[] {1, 2, 3})));

        assertThat(Idx.read(file).data()).containsExactly(1, 2, 3);
    }

    @Test
    void wrongMagicIsRejected() {
        byte[] bytes = idx(new int[] {3}, new byte[] {1, 2, 3});
        bytes[1] = 0x12;
        Path file = write(dir.resolve("bad"), bytes);

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("not an IDX file")
                .hasMessageContaining("0x0012");
    }

    @Test
    void unsupportedElementTypeIsRejected() {
        Path file = write(dir.resolve("floats"), idx(0x0d, new int[] {1}, new byte[] {0, 0, 0, 0}));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("unsupported IDX element type 0x0d");
    }

    @Test
    void zeroRankIsRejected() {
        Path file = write(dir.resolve("rank0"), idx(new int[] {}, new byte[0]));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("unsupported IDX rank 0");
    }

    @Test
    void zeroDimensionIsRejected() {
        Path file = write(dir.resolve("empty"), idx(new int[] {3, 0, 2}, new byte[0]));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("IDX dimension 1 is 0; must be positive");
    }

    @Test
    void negativeDimensionIsRejected() {
        Path file = write(dir.resolve("negative"), idx(new int[] {-5}, new byte[0]));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("IDX dimension 0 is -5; must be positive");
    }

    @Test
    void truncatedMagicIsRejected() {
        Path file = write(dir.resolve("short"), new byte[] {0, 0, 8});

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("truncated IDX header (file is 3 bytes long)");
    }

    @Test
    void truncatedDimensionsAreRejected() {
        byte[] full = idx(new int[] {2, 2, 3}, PIXELS);
        Path file = write(dir.resolve("short-dims"), Arrays.copyOf(full, 4 + 4 + 2));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("truncated IDX header (dimension 1 missing)");
    }

    @Test
    void truncatedImageFileIsRejectedWithByteCounts() {
        byte[] full = idx(new int[] {2, 2, 3}, PIXELS);
        Path file = write(dir.resolve("short-data"), Arrays.copyOf(full, full.length - 5));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("truncated IDX file")
                .hasMessageContaining("promises 12 bytes")
                .hasMessageContaining("[2, 2, 3]")
                .hasMessageContaining("found 7");
    }

    @Test
    void truncatedGzipContentIsRejectedWithByteCounts() {
        byte[] full = idx(new int[] {2, 2, 3}, PIXELS);
        Path file = write(dir.resolve("short-data.gz"), gzip(Arrays.copyOf(full, full.length - 5)));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("promises 12 bytes")
                .hasMessageContaining("found 7");
    }

    @Test
    void headerPromisingHugePayloadIsRejectedWithoutAllocatingIt() {
        // A corrupt header must give a DataException, not an attempt to allocate ~2 GB up front.
        Path file = write(dir.resolve("huge"), idx(new int[] {40_000, 50_000}, new byte[] {1, 2, 3}));

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("promises 2000000000 bytes")
                .hasMessageContaining("found 3");
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] full = idx(new int[] {3}, new byte[] {1, 2, 3});
        Path file = write(dir.resolve("long"), ByteBuffer.allocate(full.length + 1).put(full).put((byte) 9).array());

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("trailing bytes after 3 bytes of data");
    }

    @Test
    void emptyFileIsRejected() {
        Path file = write(dir.resolve("empty"), new byte[0]);

        assertThatThrownBy(() -> Idx.read(file))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("truncated IDX header (file is 0 bytes long)");
    }

    @Test
    void missingFileIsADataExceptionNamingThePath() {
        Path file = dir.resolve("absent-idx1-ubyte");

        assertThatThrownBy(() -> Idx.read(file))
                .isExactlyInstanceOf(DataException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("not found");
    }

    @Test
    void gzipFileWhoseHeaderClaimsMoreThanItsStreamCanExpandToIsRefusedBeforeReading() {
        // 1.2 GB claimed by a file of a few dozen bytes: deflate expands at most ~1032:1.
        Path file = write(dir.resolve("claims.gz"), gzip(idx(new int[] {1_500_000, 28, 28}, new byte[10])));

        assertThatThrownBy(() -> Idx.read(file, Long.MAX_VALUE))
                .isExactlyInstanceOf(DataException.class)
                .hasMessageContaining("1,176,000,000 bytes of data")
                .hasMessageContaining("cannot hold that much");
    }

    @Test
    void payloadOverTheCallersLimitIsTooLargeWhateverTheFileHolds() {
        Path file = write(dir.resolve("images"), idx(new int[] {2, 28, 28}, new byte[2 * 784]));

        assertThatThrownBy(() -> Idx.read(file, 784))
                .isInstanceOf(Idx.TooLarge.class)
                .hasMessageContaining("1,568 bytes of data, over the limit of 784 bytes");
        assertThat(Idx.read(file, 2 * 784).count()).isEqualTo(2);
    }
}
