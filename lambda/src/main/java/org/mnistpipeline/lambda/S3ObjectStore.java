package org.mnistpipeline.lambda;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.s3.S3Objects;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@link ObjectStore} on the AWS SDK v2 S3 client with the JDK's {@code HttpURLConnection} client
 * (no netty or Apache: smaller zip, fewer classes at cold start), built by the s3 module's
 * {@link S3Objects#client} as every S3 client of the project is.
 *
 * <p>Configured from the environment: {@code AWS_REGION} (Lambda sets it), credentials from
 * {@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY} / {@code AWS_SESSION_TOKEN} (Lambda
 * sets those from the execution role; absent, the SDK's default chain), and
 * {@value #ENDPOINT_VAR} to point at another S3-compatible endpoint (a local server, tests), which
 * also switches to path-style addressing.
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {
    public static final String ENDPOINT_VAR = S3Objects.ENDPOINT_VAR;

    private final S3Client s3;

    public S3ObjectStore(S3Client s3) {
        this.s3 = s3;
    }

    /** A client as the environment describes it; see the class comment for the variables. */
    public static S3ObjectStore fromEnvironment(Map<String, String> env) {
        String region = env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", ""));
        if (region.isBlank()) {
            throw new IllegalStateException("AWS_REGION is not set; Lambda sets it, set it when running elsewhere");
        }
        return new S3ObjectStore(S3Objects.client(env));
    }

    @Override
    public Head head(String bucket, String key) {
        try {
            HeadObjectResponse r = s3.headObject(b -> b.bucket(bucket).key(key));
            return new Head(r.contentLength() == null ? -1 : r.contentLength(), r.contentType());
        } catch (NoSuchKeyException e) {
            throw ObjectStore.notFound(bucket, key);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw ObjectStore.notFound(bucket, key);
            }
            throw e;
        }
    }

    @Override
    public InputStream open(String bucket, String key) {
        try {
            return s3.getObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            throw ObjectStore.notFound(bucket, key);
        }
    }

    @Override
    public void put(String bucket, String key, Path file, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromFile(file));
    }

    /** The client itself, for callers that need more than the three calls. */
    public S3Client client() {
        return s3;
    }

    @Override
    public void close() {
        s3.close();
    }
}
