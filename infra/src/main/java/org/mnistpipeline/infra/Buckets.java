package org.mnistpipeline.infra;

import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.constructs.Construct;

/** The project's two kinds of bucket, built one way: encrypted, SSL only, no public access, retained on delete. */
final class Buckets {
    private Buckets() {}

    /**
     * A bucket for access logs (S3 server access logs, CloudFront standard logs), kept a year. CloudFront's log
     * delivery writes with ACLs, hence {@code BUCKET_OWNER_PREFERRED} rather than ACLs disabled.
     */
    static Bucket logs(Construct scope, String id) {
        // cdk-nag's S1 (server access logs) passes a bucket that receives S3 log delivery, so none is needed here.
        Bucket logs = Bucket.Builder.create(scope, id)
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_PREFERRED)
                .lifecycleRules(List.of(LifecycleRule.builder().expiration(Duration.days(365)).build()))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        return logs;
    }

    /** A versioned data bucket logging its access to {@code logs} under {@code logPrefix}. */
    static Bucket.Builder data(Construct scope, String id, IBucket logs, String logPrefix) {
        return Bucket.Builder.create(scope, id)
                .versioned(true)
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .serverAccessLogsBucket(logs)
                .serverAccessLogsPrefix(logPrefix)
                // An upload left unfinished (a batch scorer that never got its retry) is not kept forever.
                .lifecycleRules(List.of(LifecycleRule.builder().noncurrentVersionExpiration(Duration.days(90))
                        .abortIncompleteMultipartUploadAfter(Duration.days(7)).build()))
                .removalPolicy(RemovalPolicy.RETAIN);
    }
}
