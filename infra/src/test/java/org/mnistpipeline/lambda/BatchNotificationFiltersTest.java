package org.mnistpipeline.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.infra.EdgeStack;

/**
 * The Edge stack's S3 notification suffixes checked against the function's own format rules (this test sits in the
 * lambda package to call them): what the bucket sends is what the function reads, and never what it writes.
 */
class BatchNotificationFiltersTest {
    @Test
    void everyNotificationSuffixIsAFormatTheFunctionReadsAndEveryFormatHasOne() {
        Set<BatchFormat> covered = EnumSet.noneOf(BatchFormat.class);
        for (String suffix : EdgeStack.BATCH_SUFFIXES) {
            String key = "uploads/t10k-images" + suffix;
            covered.add(BatchFormat.of(key, null)); // throws Refused for a suffix the function does not read
            assertThat(BatchFormat.gzipped(key)).isEqualTo(suffix.endsWith(".gz"));
        }
        assertThat(covered).containsExactlyInAnyOrder(BatchFormat.values());
    }

    @Test
    void theFunctionsOwnOutputsMatchNoSuffixThoughTheyAreJsonLinesItWouldRead() {
        assertThat(EdgeStack.OUTPUT_SUFFIX).isEqualTo(S3BatchScorer.OUTPUT_SUFFIX);
        for (String input : new String[] {"a.csv", "b.ndjson", "c.npy", "t10k-images-idx3-ubyte", "d.jsonl.gz"}) {
            String output = "uploads/" + input + S3BatchScorer.OUTPUT_SUFFIX;
            // Left to the function, an output would be scored again as JSON lines: the filters must keep it out.
            assertThat(BatchFormat.of(output, null)).isEqualTo(BatchFormat.JSON_LINES);
            assertThat(EdgeStack.BATCH_SUFFIXES).noneMatch(output::endsWith);
        }
        assertThat(EdgeStack.PROGRESS_SUFFIX).isEqualTo(S3BatchScorer.PROGRESS_SUFFIX);
        assertThat(EdgeStack.BATCH_SUFFIXES).noneMatch(("uploads/a.csv" + S3BatchScorer.PROGRESS_SUFFIX)::endsWith);
        assertThat(S3BatchScorer.isOutput("uploads/a.csv" + S3BatchScorer.PROGRESS_SUFFIX)).isTrue();
        // Why a bare .jsonl is not a filter: it is the outputs' own ending.
        assertThat(S3BatchScorer.OUTPUT_SUFFIX).endsWith(".jsonl");
        assertThat(EdgeStack.BATCH_SUFFIXES).doesNotContain(".jsonl");
    }
}
