package org.mnistpipeline.inference;

import java.io.IOException;
import java.util.Objects;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An {@link javax.imageio.stream.ImageInputStream} over bytes already in memory. ImageIO's own
 * {@code MemoryCacheImageInputStream} copies a request body into a cache of 8 KB blocks before a
 * reader sees it: for a 300-byte PNG that was the largest allocation of a request.
 */
final class BytesImageInputStream extends ImageInputStreamImpl {
    private final byte[] bytes;

    BytesImageInputStream(byte[] bytes) {
        this.bytes = Objects.requireNonNull(bytes, "bytes");
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        return streamPos < bytes.length ? bytes[(int) streamPos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        Objects.checkFromIndexSize(off, len, b.length);
        bitOffset = 0;
        if (len == 0) {
            return 0;
        }
        if (streamPos >= bytes.length) {
            return -1;
        }
        int n = (int) Math.min(len, bytes.length - streamPos);
        System.arraycopy(bytes, (int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    @Override
    public long length() {
        return bytes.length;
    }

    /**
     * Empty, as in ImageIO's own memory-backed streams: the inherited finalizer closes the stream,
     * and any class with a non-empty one has every instance queued for finalization. Measured: a
     * thousand streams and their 8 KB buffers lived on per second of traffic, promoted to the old
     * generation, and young pauses doubled. There is nothing here to release.
     */
    @Override
    @SuppressWarnings({"deprecation", "removal"})
    protected void finalize() {}
}
