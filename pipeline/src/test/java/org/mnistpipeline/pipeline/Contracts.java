package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.pipeline.RunStore.StepRun;

/**
 * The steps' JSON contracts: a JSON Schema (draft 2020-12) per step input and output, generated
 * from the step's records, checked in under {@code src/main/resources/contracts/} so a task written
 * in another language can honour them, and used here to validate what real runs read and wrote.
 */
final class Contracts {
    static final Path DIR = Path.of("src/main/resources/contracts");
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

    private Contracts() {}

    /** The file name of a step's input or output schema. */
    static String fileName(String step, String side) {
        return step + "." + side + ".schema.json";
    }

    /** Every schema, generated now from the step records, by file name. */
    static Map<String, String> generate() {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(SchemaVersion.DRAFT_2020_12,
                OptionPreset.PLAIN_JSON)
                .with(new JacksonModule())
                .with(Option.DEFINITIONS_FOR_ALL_OBJECTS);
        // Definitions named as in Java (DecideStep.Output), not Output-1, Output-2...
        config.forTypesInGeneral().withDefinitionNamingStrategy((key, context) -> javaName(key.getType()
                .getErasedType()));
        // Every field is required and non-null unless the record marks it @MayBeAbsent.
        config.forFields()
                .withRequiredCheck(field -> field.getAnnotationConsideringFieldAndGetter(MayBeAbsent.class) == null)
                .withNullableCheck(field -> field.getAnnotationConsideringFieldAndGetter(MayBeAbsent.class) != null);
        SchemaGenerator generator = new SchemaGenerator(config.build());
        Map<String, String> schemas = new LinkedHashMap<>();
        List<Step<?, ?>> steps = new java.util.ArrayList<>(PipelineRunner.STEPS.values());
        steps.addAll(PipelineRunner.DEPLOYMENT_STEPS.values());
        for (Step<?, ?> step : steps) {
            schemas.put(fileName(step.name(), "input"), render(generator, step.inputType(), step.name() + " input"));
            schemas.put(fileName(step.name(), "output"), render(generator, outputType(step),
                    step.name() + " output"));
        }
        return schemas;
    }

    private static String javaName(Class<?> type) {
        String name = type.getSimpleName();
        for (Class<?> outer = type.getEnclosingClass(); outer != null; outer = outer.getEnclosingClass()) {
            name = outer.getSimpleName() + "." + name;
        }
        return name;
    }

    private static String render(SchemaGenerator generator, Class<?> type, String title) {
        ObjectNode schema = generator.generateSchema(type);
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("$schema", schema.path("$schema").asText());
        out.put("title", "mnist-pipeline step " + title);
        out.put("description", "Generated from " + type.getName().replace('$', '.')
                + " by the pipeline module's ContractsTest; do not edit by hand.");
        schema.remove("$schema");
        out.setAll(schema);
        return Json.pretty(out) + "\n";
    }

    /** A step's output record: the declared return type of its {@code run} method. */
    static Class<?> outputType(Step<?, ?> step) {
        try {
            return step.getClass().getMethod("run", step.inputType(), StepContext.class).getReturnType();
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(step.name() + " has no run method", e);
        }
    }

    /** Fails unless {@code run}'s recorded input and output satisfy its step's checked-in schemas. */
    static void assertConforms(StepRun run) {
        assertValid(fileName(run.name(), "input"), run.input());
        assertValid(fileName(run.name(), "output"), run.output());
    }

    static void assertValid(String schemaFile, JsonNode document) {
        Schema schema = LOADED.computeIfAbsent(schemaFile, Contracts::load);
        List<?> errors = schema.validate(document);
        assertThat(errors).as("%s against %s", document, schemaFile).isEmpty();
    }

    private static Schema load(String file) {
        try (InputStream in = Contracts.class.getResourceAsStream("/contracts/" + file)) {
            if (in == null) {
                throw new IllegalStateException("no contract /contracts/" + file + " on the class path");
            }
            return SCHEMAS.getSchema(Json.mapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
