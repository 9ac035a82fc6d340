package org.mnistpipeline.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Prices from the dated data file {@code aws-prices.json} (every figure with its source page and that page's date,
 * or null with what was looked for). Nothing here can reach AWS's price list, so a missing price stays missing:
 * callers say "price unknown" instead of estimating one.
 *
 * @param date          when the file was compiled
 * @param region        the region the prices are for
 * @param instanceHourly SageMaker real-time price per instance-hour, by type; absent for types with no sourced price
 * @param lambdaGbSecond Lambda x86 duration price
 * @param lambdaPerMillion Lambda request price per million
 */
public record PriceBook(String date, String region, Map<String, Double> instanceHourly, double lambdaGbSecond,
        double lambdaPerMillion) {
    static final String RESOURCE = "aws-prices.json";
    /** Hours in a month as AWS's own calculators count them. */
    public static final double HOURS_PER_MONTH = 730;

    public PriceBook {
        instanceHourly = Map.copyOf(instanceHourly);
    }

    /** The committed price file. */
    public static PriceBook load() {
        try (InputStream in = PriceBook.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            if (root.path("format").asInt() != 1) {
                throw new IllegalStateException(RESOURCE + " has format " + root.path("format") + "; this build reads 1");
            }
            Map<String, Double> hourly = new TreeMap<>();
            root.path("sagemaker_real_time_hourly").properties().forEach(e -> {
                JsonNode usd = e.getValue().path("usd");
                if (usd.isNumber()) {
                    hourly.put(e.getKey(), usd.asDouble());
                }
            });
            JsonNode lambda = root.path("lambda_x86");
            return new PriceBook(root.path("date").asText(), root.path("region").asText(), hourly,
                    lambda.path("usd_per_gb_second").asDouble(), lambda.path("usd_per_million_requests").asDouble());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The hourly price of one instance of {@code type}, if a sourced one is on file. */
    public Optional<Double> hourly(String type) {
        return Optional.ofNullable(instanceHourly.get(type));
    }
}
