package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.io.Json;

/**
 * The checked-in contracts are exactly what the step records generate: change a record and this
 * fails until the schemas are regenerated ({@code -Dcontracts.write=true} rewrites them). Real
 * step inputs and outputs are validated against them in {@link PipelineRunnerTest}.
 */
class ContractsTest {

    @Test
    void checkedInSchemasMatchTheStepRecords() throws IOException {
        Map<String, String> generated = Contracts.generate();
        if (Boolean.getBoolean("contracts.write")) {
            Files.createDirectories(Contracts.DIR);
            for (var e : generated.entrySet()) {
                Files.writeString(Contracts.DIR.resolve(e.getKey()), e.getValue());
            }
        }
        try (Stream<Path> files = Files.list(Contracts.DIR)) {
            assertThat(files.map(f -> f.getFileName().toString()).sorted().toList())
                    .as("one input and one output schema per step, nothing else")
                    .containsExactlyElementsOf(generated.keySet().stream().sorted().toList());
        }
        for (var e : generated.entrySet()) {
            assertThat(Files.readString(Contracts.DIR.resolve(e.getKey())))
                    .as("%s is stale: run this test with -Dcontracts.write=true and commit the result", e.getKey())
                    .isEqualTo(e.getValue());
        }
    }

    @Test
    void aDocumentMissingARequiredValueOrOfTheWrongTypeIsRefused() {
        var ok = Json.mapper().createObjectNode().put("passed", true).put("mode", "FULL").put("summary", "s");
        ok.putArray("checks");
        Contracts.assertValid("gate.output.schema.json", ok);
        var wrongType = ok.deepCopy().put("passed", "yes");
        var missing = ok.deepCopy();
        missing.remove("passed");
        var badMode = ok.deepCopy().put("mode", "SOMETIMES");
        for (var bad : java.util.List.of(wrongType, missing, badMode)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Contracts.assertValid("gate.output.schema.json",
                    bad)).isInstanceOf(AssertionError.class);
        }
    }
}
