package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.cxapi.SynthesisMessage;

class CdkNagTest {
    private static Synth synth;

    @BeforeAll
    static void synthesize() {
        synth = Synth.shared();
    }

    @Test
    void awsSolutionsPackHasNoUnsuppressedFindingInAnyStack() {
        List<String> findings = new ArrayList<>();
        for (Stack stack : List.of(synth.stacks.foundation(), synth.stacks.observability(), synth.stacks.serving(),
                synth.stacks.edge(), synth.stacks.pipeline())) {
            Annotations annotations = Annotations.fromStack(stack);
            for (SynthesisMessage m : annotations.findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
                findings.add("ERROR " + m.getId() + " " + m.getEntry().getData());
            }
            for (SynthesisMessage m : annotations.findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
                findings.add("WARN " + m.getId() + " " + m.getEntry().getData());
            }
        }
        assertThat(findings).isEmpty();
    }
}
