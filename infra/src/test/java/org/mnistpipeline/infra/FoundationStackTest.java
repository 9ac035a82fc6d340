package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class FoundationStackTest {
    private static Template foundation;

    @BeforeAll
    static void synthesize() {
        Synth synth = Synth.shared();
        foundation = synth.template(synth.stacks.foundation());
    }

    @Test
    void artifactsBucketIsVersionedEncryptedPrivateLoggedAndRetained() {
        foundation.hasResource("AWS::S3::Bucket", Match.objectLike(Map.of(
                "DeletionPolicy", "Retain",
                "Properties", Match.objectLike(Map.of(
                        "VersioningConfiguration", Map.of("Status", "Enabled"),
                        "BucketEncryption", Map.of("ServerSideEncryptionConfiguration", List.of(Map.of(
                                "ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "AES256")))),
                        "PublicAccessBlockConfiguration", Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true,
                                "IgnorePublicAcls", true, "RestrictPublicBuckets", true),
                        "LoggingConfiguration", Match.objectLike(Map.of("LogFilePrefix", "artifacts/")))))));
    }

    @Test
    void everyBucketRefusesRequestsWithoutTls() {
        int buckets = foundation.findResources("AWS::S3::Bucket").size();
        assertThat(buckets).isEqualTo(2);
        Object denyInsecure = Match.objectLike(Map.of("Effect", "Deny", "Action", "s3:*",
                "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false"))));
        Object policy = Match.objectLike(Map.of("PolicyDocument", Match.objectLike(Map.of(
                "Statement", Match.arrayWith(List.of(denyInsecure))))));
        assertThat(foundation.findResources("AWS::S3::BucketPolicy", Map.of("Properties", policy)))
                .hasSize(buckets);
    }

    @Test
    void imageRepositoryHasImmutableTagsAndScansOnPush() {
        foundation.hasResourceProperties("AWS::ECR::Repository", Map.of(
                "RepositoryName", "mnist-pipeline",
                "ImageTagMutability", "IMMUTABLE",
                "ImageScanningConfiguration", Map.of("ScanOnPush", true)));
    }
}
