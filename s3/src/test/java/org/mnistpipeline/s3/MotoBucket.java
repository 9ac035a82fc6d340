package org.mnistpipeline.s3;

import java.io.IOException;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.testsupport.MotoServer;

/**
 * One moto server per test class and a fresh bucket per test, reached through the same
 * {@link S3Objects} the CLI and the server use, configured from the same environment variables.
 */
public final class MotoBucket implements AutoCloseable {
    public final MotoServer moto;
    public final S3Objects storage;

    private MotoBucket(MotoServer moto) {
        this.moto = moto;
        this.storage = S3Objects.fromEnvironment(moto.environment());
    }

    public static MotoBucket start() throws IOException, InterruptedException {
        return new MotoBucket(MotoServer.start());
    }

    /** A new, empty bucket, as the prefix {@code s3://bucket/home}. */
    public ObjectPath freshHome() throws IOException {
        return new ObjectPath(moto.freshBucket(), "home");
    }

    @Override
    public void close() throws InterruptedException {
        storage.close();
        moto.close();
    }
}
