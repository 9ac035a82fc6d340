package org.mnistpipeline.infra;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What the Edge stack reads out of the lambda module's deployment zip: the environment the function
 * is to run with ({@value #ENVIRONMENT}, written by the lambda module next to the code it configures,
 * e.g. {@code JAVA_TOOL_OPTIONS} naming the zip's own {@code native/} folder). Read from the zip that is
 * deployed, so the variables and the code they describe cannot come from two different builds; the
 * cold-start benchmark reads the same file.
 */
final class FunctionZip {
    /** The entry at the zip's root. */
    static final String ENVIRONMENT = "environment.properties";

    private FunctionZip() {}

    /** The variables, by name; refused when the zip has no such entry (a zip from before it existed). */
    static Map<String, String> environment(Path zip) {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            ZipEntry entry = file.getEntry(ENVIRONMENT);
            if (entry == null) {
                throw new IllegalArgumentException("Lambda zip " + zip + " has no " + ENVIRONMENT + "; rebuild it with"
                        + " ./mvnw package -pl lambda -am");
            }
            Properties properties = new Properties();
            try (Reader in = new InputStreamReader(file.getInputStream(entry), StandardCharsets.UTF_8)) {
                properties.load(in);
            }
            Map<String, String> variables = new TreeMap<>();
            properties.stringPropertyNames().forEach(name -> variables.put(name, properties.getProperty(name).trim()));
            return variables;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ENVIRONMENT + " from " + zip, e);
        }
    }
}
