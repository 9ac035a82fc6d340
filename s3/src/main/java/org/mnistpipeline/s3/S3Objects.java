package org.mnistpipeline.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * core's {@link ObjectStorage} on the AWS SDK v2 S3 client with the JDK's {@code HttpURLConnection}
 * client. What the SDK reports is turned into what the stores act on: 404 is absence, 412 (and
 * 409, S3's answer to a conditional write racing another) is {@link ObjectStorage.ConditionFailed},
 * 403 names the object and the permission it needed, and network failures and 5xx are
 * {@link UncheckedIOException}s, which the pipeline retries.
 *
 * <p>Configured from the environment, as the Lambda function's S3 client is: {@code AWS_REGION}
 * (or {@code AWS_DEFAULT_REGION}, else the SDK's profile chain), credentials from
 * {@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY} / {@code AWS_SESSION_TOKEN} or the SDK's
 * default chain (profiles, container and instance roles), and {@value #ENDPOINT_VAR} for another
 * S3-compatible endpoint (moto in the tests), which also switches to path-style addressing.
 */
public final class S3Objects implements ObjectStorage, AutoCloseable {
    /** An S3-compatible endpoint to use instead of AWS's (a local server); the same variable as the Lambda function's. */
    public static final String ENDPOINT_VAR = "MNIST_S3_ENDPOINT";

    private final S3Client s3;

    public S3Objects(S3Client s3) {
        this.s3 = s3;
    }

    /** A client as the environment describes it; see the class comment for the variables. */
    public static S3Objects fromEnvironment(Map<String, String> env) {
        return new S3Objects(client(env));
    }

    /** The S3 client the environment describes. */
    public static S3Client client(Map<String, String> env) {
        S3ClientBuilder builder = S3Client.builder().httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(credentials(env));
        String region = env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", ""));
        if (!region.isBlank()) {
            builder.region(Region.of(region.trim()));
        }
        String endpoint = env.getOrDefault(ENDPOINT_VAR, "");
        if (!endpoint.isBlank()) {
            // Local S3-compatible servers serve buckets as paths, not as subdomains.
            builder.endpointOverride(URI.create(endpoint.trim())).forcePathStyle(true);
        }
        try {
            return builder.build();
        } catch (SdkClientException e) {
            throw new MnistException(MnistException.Kind.BAD_INPUT, "cannot set up the S3 client: " + e.getMessage()
                    + "; set AWS_REGION (and credentials) for an s3:// MNIST_HOME or MODEL_URI", e);
        }
    }

    private static AwsCredentialsProvider credentials(Map<String, String> env) {
        String id = env.get("AWS_ACCESS_KEY_ID");
        String secret = env.get("AWS_SECRET_ACCESS_KEY");
        if (id == null || id.isBlank() || secret == null || secret.isBlank()) {
            return DefaultCredentialsProvider.builder().build();
        }
        String token = env.get("AWS_SESSION_TOKEN");
        return StaticCredentialsProvider.create(token == null || token.isBlank()
                ? AwsBasicCredentials.create(id, secret)
                : AwsSessionCredentials.create(id, secret, token));
    }

    /** The client itself, for what the interface does not cover (tests create buckets with it). */
    public S3Client client() {
        return s3;
    }

    @Override
    public Optional<Stored> get(ObjectPath path) {
        Fetched fetched = getIfChanged(path, null);
        return fetched.change() == Change.ABSENT ? Optional.empty() : Optional.of(fetched.object());
    }

    @Override
    public Fetched getIfChanged(ObjectPath path, String etag) {
        try {
            ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(b -> {
                b.bucket(path.bucket()).key(path.key());
                if (etag != null) {
                    b.ifNoneMatch(etag);
                }
            });
            return new Fetched(Change.CHANGED, new Stored(bytes.asByteArray(), bytes.response().eTag()));
        } catch (NoSuchKeyException e) {
            return new Fetched(Change.ABSENT, null);
        } catch (S3Exception e) {
            if (e.statusCode() == 304) {
                return new Fetched(Change.UNCHANGED, null);
            }
            if (e.statusCode() == 404) {
                return new Fetched(Change.ABSENT, null);
            }
            throw failure("read", "s3:GetObject", path, e);
        } catch (SdkClientException e) {
            throw unreachable("read", path, e);
        }
    }

    @Override
    public void download(ObjectPath path, Path file) {
        try (InputStream in = s3.getObject(b -> b.bucket(path.bucket()).key(path.key()))) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchKeyException e) {
            throw new NotFound(path);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new NotFound(path);
            }
            throw failure("read", "s3:GetObject", path, e);
        } catch (SdkClientException e) {
            throw unreachable("read", path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + path + " to " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String put(ObjectPath path, byte[] bytes) {
        return write(path, () -> RequestBody.fromBytes(bytes), null, null);
    }

    @Override
    public String upload(ObjectPath path, Path file) {
        return write(path, () -> RequestBody.fromFile(file), null, null);
    }

    @Override
    public String putIfAbsent(ObjectPath path, byte[] bytes) {
        return write(path, () -> RequestBody.fromBytes(bytes), "*", null);
    }

    @Override
    public String putIfMatch(ObjectPath path, byte[] bytes, String etag) {
        return write(path, () -> RequestBody.fromBytes(bytes), null, etag);
    }

    private String write(ObjectPath path, Supplier<RequestBody> body, String ifNoneMatch, String ifMatch) {
        try {
            return s3.putObject(b -> {
                b.bucket(path.bucket()).key(path.key());
                if (ifNoneMatch != null) {
                    b.ifNoneMatch(ifNoneMatch);
                }
                if (ifMatch != null) {
                    b.ifMatch(ifMatch);
                }
            }, body.get()).eTag();
        } catch (S3Exception e) {
            boolean conditional = ifNoneMatch != null || ifMatch != null;
            // 412: the condition does not hold; 409: S3 refused a conditional write racing another one;
            // 404 on If-Match: the object it was to replace has been deleted.
            if (conditional && (e.statusCode() == 412 || e.statusCode() == 409
                    || (ifMatch != null && e.statusCode() == 404))) {
                throw new ConditionFailed(path + (ifMatch != null ? " changed since it was read (If-Match " + ifMatch
                        + ")" : " already exists (If-None-Match: *)"));
            }
            throw failure("write", "s3:PutObject", path, e);
        } catch (SdkClientException e) {
            throw unreachable("write", path, e);
        }
    }

    @Override
    public List<String> list(ObjectPath prefix) {
        return list(prefix, null);
    }

    @Override
    public List<String> list(ObjectPath prefix, String startAfter) {
        try {
            List<String> keys = new ArrayList<>();
            for (var page : s3.listObjectsV2Paginator(b -> {
                b.bucket(prefix.bucket()).prefix(prefix.prefix());
                if (startAfter != null) {
                    b.startAfter(startAfter);
                }
            })) {
                page.contents().stream().map(S3Object::key).forEach(keys::add);
            }
            return keys;
        } catch (S3Exception e) {
            throw failure("list", "s3:ListBucket", prefix, e);
        } catch (SdkClientException e) {
            throw unreachable("list", prefix, e);
        }
    }

    @Override
    public void delete(ObjectPath path) {
        try {
            s3.deleteObject(b -> b.bucket(path.bucket()).key(path.key()));
        } catch (S3Exception e) {
            throw failure("delete", "s3:DeleteObject", path, e);
        } catch (SdkClientException e) {
            throw unreachable("delete", path, e);
        }
    }

    /** 403 is a missing permission, said as such; 5xx may pass (retried as an I/O error); the rest is ours. */
    private static RuntimeException failure(String what, String permission, ObjectPath path, S3Exception e) {
        String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
        if (e.statusCode() == 403) {
            return new MnistException("access denied to " + what + " " + path + " (" + code + "): the credentials need "
                    + permission + " on it" + (permission.equals("s3:ListBucket") ? " (on the bucket, for this prefix)"
                    : ""), e);
        }
        if (e.statusCode() == 404 && "NoSuchBucket".equals(code)) {
            return new MnistException(MnistException.Kind.NOT_FOUND, "bucket " + path.bucket() + " does not exist;"
                    + " create it, or point MNIST_HOME at one that does", e);
        }
        if (e.statusCode() >= 500) {
            return new UncheckedIOException("S3 could not " + what + " " + path + " (HTTP " + e.statusCode() + " "
                    + code + "); retry", new IOException(e.getMessage(), e));
        }
        return new MnistException("S3 refused to " + what + " " + path + ": HTTP " + e.statusCode() + " " + code
                + " (" + e.getMessage() + ")", e);
    }

    private static UncheckedIOException unreachable(String what, ObjectPath path, SdkClientException e) {
        return new UncheckedIOException("cannot " + what + " " + path + ": " + e.getMessage(),
                new IOException(e.getMessage(), e));
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return "S3";
    }
}
