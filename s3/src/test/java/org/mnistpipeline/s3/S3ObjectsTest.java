package org.mnistpipeline.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.store.ObjectPath;
import org.mnistpipeline.store.ObjectStorage;
import org.mnistpipeline.store.ObjectStorage.Change;
import org.mnistpipeline.store.ObjectStorage.ConditionFailed;

/** The conditions the stores are built on, as S3's API (moto's server) answers them through the SDK. */
class S3ObjectsTest {
    private static MotoBucket s3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        s3 = MotoBucket.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void createOnlyWriteRefusesAnExistingObject() throws Exception {
        ObjectPath key = s3.freshHome().resolve("claim");
        s3.storage.putIfAbsent(key, utf8("first"));
        assertThatThrownBy(() -> s3.storage.putIfAbsent(key, utf8("second"))).isInstanceOf(ConditionFailed.class)
                .hasMessageContaining("already exists");
        assertThat(new String(s3.storage.get(key).orElseThrow().bytes(), StandardCharsets.UTF_8)).isEqualTo("first");
    }

    @Test
    void replaceIfMatchRefusesAStaleTagAndADeletedObject() throws Exception {
        ObjectPath key = s3.freshHome().resolve("alias.json");
        String first = s3.storage.put(key, utf8("1"));
        String second = s3.storage.putIfMatch(key, utf8("2"), first);
        assertThat(second).isNotEqualTo(first);
        assertThatThrownBy(() -> s3.storage.putIfMatch(key, utf8("3"), first)).isInstanceOf(ConditionFailed.class)
                .hasMessageContaining("changed since it was read");
        assertThat(s3.storage.get(key).orElseThrow().bytes()).isEqualTo(utf8("2"));
        s3.storage.delete(key);
        assertThatThrownBy(() -> s3.storage.putIfMatch(key, utf8("4"), second)).isInstanceOf(ConditionFailed.class);
        assertThat(s3.storage.get(key)).isEmpty();
    }

    @Test
    void conditionalReadTransfersNothingWhileTheTagHolds() throws Exception {
        ObjectPath key = s3.freshHome().resolve("alias.json");
        assertThat(s3.storage.getIfChanged(key, null).change()).isEqualTo(Change.ABSENT);
        String tag = s3.storage.put(key, utf8("v1"));
        assertThat(s3.storage.getIfChanged(key, tag).change()).isEqualTo(Change.UNCHANGED);
        assertThat(s3.storage.getIfChanged(key, tag).object()).isNull();
        s3.storage.put(key, utf8("v2"));
        ObjectStorage.Fetched changed = s3.storage.getIfChanged(key, tag);
        assertThat(changed.change()).isEqualTo(Change.CHANGED);
        assertThat(changed.object().bytes()).isEqualTo(utf8("v2"));
    }

    @Test
    void listingReturnsKeysInOrderAcrossPagesAndFromAStartKey() throws Exception {
        ObjectPath dir = s3.freshHome().resolve("summaries");
        for (int i = 0; i < 1_005; i++) { // more than one page of 1,000
            s3.storage.put(dir.resolve(String.format("%05d.json", i)), utf8("{}"));
        }
        s3.storage.put(dir.resolve("sub/x.json"), utf8("{}"));
        var all = s3.storage.list(dir);
        assertThat(all).hasSize(1_006).isSorted();
        assertThat(s3.storage.list(dir, dir.prefix() + "01000")).containsExactly(dir.resolve("01000.json").key(),
                dir.resolve("01001.json").key(), dir.resolve("01002.json").key(), dir.resolve("01003.json").key(),
                dir.resolve("01004.json").key(), dir.resolve("sub/x.json").key());
    }

    @Test
    void uploadsAndDownloadsFilesAndSaysWhatIsMissing() throws Exception {
        ObjectPath key = s3.freshHome().resolve("weights.safetensors");
        byte[] bytes = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(1).nextBytes(bytes);
        Path file = Files.write(tmp.resolve("in"), bytes);
        s3.storage.upload(key, file);
        s3.storage.download(key, tmp.resolve("out"));
        assertThat(Files.readAllBytes(tmp.resolve("out"))).isEqualTo(bytes);
        assertThatThrownBy(() -> s3.storage.download(key.resolve("absent"), tmp.resolve("x")))
                .isInstanceOf(ObjectStorage.NotFound.class).hasMessageContaining(key.resolve("absent").toString());
    }

    @Test
    void aMissingBucketIsNamedAsSuch() {
        ObjectPath key = new ObjectPath("no-such-bucket-here", "home/x");
        assertThatThrownBy(() -> s3.storage.list(key)).isInstanceOf(MnistException.class)
                .hasMessageContaining("bucket no-such-bucket-here does not exist");
    }

    @Test
    void anUnreachableEndpointIsAnIoErrorThePipelineRetries() {
        try (S3Objects nowhere = S3Objects.fromEnvironment(Map.of("AWS_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", "x",
                "AWS_SECRET_ACCESS_KEY", "x", S3Objects.ENDPOINT_VAR, "http://127.0.0.1:1"))) {
            assertThatThrownBy(() -> nowhere.get(new ObjectPath("bucket", "key")))
                    .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("s3://bucket/key");
        }
    }
}
