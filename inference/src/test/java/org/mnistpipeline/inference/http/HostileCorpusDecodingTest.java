package org.mnistpipeline.inference.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mnistpipeline.RequestException;
import org.mnistpipeline.inference.ImagePreprocessor;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.hostile.HostileInputs;

/**
 * The hostile corpus through the shared decoder alone (no HTTP, no model): every case is decoded
 * or refused with the status it allows and a message without Java or Jackson names, and the
 * budget is back to zero afterwards. The replay tests of the server and the function send the
 * same corpus over their edges.
 */
class HostileCorpusDecodingTest {
    @Test
    void everyHostileBodyIsDecodedOrRefusedWithAClientStatusAndAPlainMessage() {
        MemoryBudget budget = new MemoryBudget(HostileInputs.BUDGET_BYTES);
        InputDecoder decoder = new InputDecoder(ImagePreprocessor.DEFAULT_MAX_PIXELS, budget);
        List<String> problems = new ArrayList<>();
        List<HostileInputs.Case> cases = HostileInputs.aroundMnistTestImage(0).all();
        for (HostileInputs.Case c : cases) {
            int status;
            String message = "";
            try (MemoryBudget.Lease lease = budget.lease()) {
                if (c.body().length > HostileInputs.MAX_BODY) {
                    status = 413; // the carrier refuses it before decoding
                } else {
                    decoder.decode(c.contentType(), c.body(), lease);
                    status = 200;
                }
            } catch (RequestException e) {
                status = e.kind().httpStatus();
                message = e.getMessage();
            }
            String verdict = HostileInputs.verdict(c, status, message, null, false, c.label());
            if (!verdict.isEmpty()) {
                problems.add(c.name() + ": " + verdict);
            }
        }
        assertThat(problems).as("cases answered wrongly, of %d", cases.size()).isEmpty();
        assertThat(budget.used()).isZero();
    }
}
