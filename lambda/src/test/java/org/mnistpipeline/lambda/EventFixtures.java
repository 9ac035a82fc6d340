package org.mnistpipeline.lambda;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import javax.imageio.ImageIO;
import org.mnistpipeline.data.IdxDirectory;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.io.Locations;

/**
 * Writes the event fixtures in {@code src/test/resources/events} from MNIST test digit
 * {@value #DIGIT} (a 7), so they can be regenerated rather than trusted:
 *
 * <pre>java -cp &lt;test classpath&gt; org.mnistpipeline.lambda.EventFixtures lambda/src/test/resources/events</pre>
 *
 * The JSON events carry the tensor the PNG preprocesses to, written with {@link Float#toString}
 * (which reads back to the same float), so PNG and JSON requests share one cache key.
 */
final class EventFixtures {
    static final int DIGIT = 0;

    private EventFixtures() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        byte[] png = mnistPng(DIGIT);
        String instances = "{\"instances\": [" + floats(new ImagePreprocessor().preprocess(png)) + "]}";
        write(out, "apigw-v2-png.json", v2("POST", "/", "image/png",
                jsonString(Base64.getEncoder().encodeToString(png)), true));
        write(out, "apigw-v2-json.json", v2("POST", "/invocations", "application/json", jsonString(instances), false));
        write(out, "direct-invocation.json", instances + "\n");
        write(out, "apigw-v2-malformed-json.json", v2("POST", "/", "application/json",
                jsonString("{\"instances\": [[0.1, 0.2"), false));
        write(out, "apigw-v2-wrong-content-type.json", v2("POST", "/", "text/plain", jsonString("seven"), false));
        write(out, "apigw-v2-blank-image.json", v2("POST", "/", "image/png",
                jsonString(Base64.getEncoder().encodeToString(blankPng())), true));
        write(out, "apigw-v2-bad-base64.json", v2("POST", "/", "image/png", "\"iVBORw0KGgo***not base64***\"", true));
        write(out, "apigw-v2-ping.json", v2("GET", "/ping", null, null, false));
    }

    static byte[] mnistPng(int index) throws IOException {
        Map<IdxDirectory.Role, Path> files = IdxDirectory.locate(Locations.fromEnvironment().dataDir());
        byte[] pixels = Idx.read(files.get(IdxDirectory.Role.TEST_IMAGES)).data();
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(pixels, index * 784,
                index * 784 + 784));
        return encode(image);
    }

    private static byte[] blankPng() throws IOException {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        return encode(image);
    }

    private static byte[] encode(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }

    private static String floats(float[] values) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (float v : values) {
            j.add(Float.toString(v));
        }
        return j.toString();
    }

    private static String jsonString(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** A function URL event (payload 2.0) as Lambda delivers it, trimmed of nothing the handler reads. */
    private static String v2(String method, String path, String contentType, String body, boolean base64) {
        String headers = "{\"accept\": \"*/*\", \"host\": \"abcdefghij.lambda-url.eu-west-1.on.aws\","
                + " \"user-agent\": \"curl/8.5.0\", \"x-forwarded-proto\": \"https\""
                + (contentType == null ? "" : ", \"content-type\": \"" + contentType + "\"") + "}";
        return String.format(Locale.ROOT, """
                {
                  "version": "2.0",
                  "routeKey": "$default",
                  "rawPath": "%s",
                  "rawQueryString": "",
                  "headers": %s,
                  "requestContext": {
                    "accountId": "anonymous",
                    "apiId": "abcdefghij",
                    "domainName": "abcdefghij.lambda-url.eu-west-1.on.aws",
                    "domainPrefix": "abcdefghij",
                    "http": {"method": "%s", "path": "%s", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                             "userAgent": "curl/8.5.0"},
                    "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                    "routeKey": "$default",
                    "stage": "$default",
                    "time": "28/Nov/2026:03:20:00 +0000",
                    "timeEpoch": 1795749600000
                  },
                  %s"isBase64Encoded": %s
                }
                """, path, headers, method, path, body == null ? "" : "\"body\": " + body + ",\n  ", base64);
    }

    private static void write(Path dir, String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }
}
