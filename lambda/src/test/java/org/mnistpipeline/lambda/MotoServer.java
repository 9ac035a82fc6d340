package org.mnistpipeline.lambda;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The shared moto S3 server ({@link org.mnistpipeline.testsupport.MotoServer}) with what the
 * Lambda tests add: the function's own S3 client on it, and listing keys through the SDK.
 */
final class MotoServer implements AutoCloseable {
    static final String REGION = org.mnistpipeline.testsupport.MotoServer.REGION;

    private final org.mnistpipeline.testsupport.MotoServer server;

    private MotoServer(org.mnistpipeline.testsupport.MotoServer server) {
        this.server = server;
    }

    static MotoServer start() throws IOException, InterruptedException {
        return new MotoServer(org.mnistpipeline.testsupport.MotoServer.start());
    }

    String endpoint() {
        return server.endpoint();
    }

    /** The environment a function uses to reach this server (what Lambda would set, plus the endpoint). */
    Map<String, String> environment() {
        return server.environment();
    }

    void createBucket(String bucket) throws IOException {
        server.createBucket(bucket);
    }

    S3ObjectStore store() {
        return S3ObjectStore.fromEnvironment(environment());
    }

    String output() {
        return server.output();
    }

    @Override
    public void close() throws InterruptedException {
        server.close();
    }

    /** Lists keys under a bucket, through the SDK (test use only). */
    static List<String> keys(software.amazon.awssdk.services.s3.S3Client s3, String bucket) {
        return s3.listObjectsV2(b -> b.bucket(bucket)).contents().stream().map(o -> o.key()).sorted().toList();
    }
}
