package org.mnistpipeline.lambda;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.StringJoiner;

/** S3 ObjectCreated events as S3 sends them to Lambda: one record per object, keys URL-encoded. */
final class S3Events {
    private S3Events() {}

    static byte[] objectCreated(String bucket, String... keys) {
        StringJoiner records = new StringJoiner(",\n", "{\"Records\": [\n", "\n]}\n");
        int n = 0;
        for (String key : keys) {
            records.add(String.format(Locale.ROOT, """
                    {
                      "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
                      "eventTime": "2026-11-28T05:00:0%d.000Z", "eventName": "ObjectCreated:Put",
                      "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
                      "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                      "responseElements": {"x-amz-request-id": "C3D13FE58DE4C81%d", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S"},
                      "s3": {
                        "s3SchemaVersion": "1.0", "configurationId": "score-new-batches",
                        "bucket": {"name": "%s", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                                   "arn": "arn:aws:s3:::%s"},
                        "object": {"key": "%s", "size": 1, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                                   "sequencer": "0A1B2C3D4E5F67890%d"}
                      }
                    }""", n % 10, n % 10, bucket, bucket, encode(key), n % 10));
            n++;
        }
        return records.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** How S3 writes a key into an event: form-URL-encoded (space as '+'), slashes left alone. */
    static String encode(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
    }
}
