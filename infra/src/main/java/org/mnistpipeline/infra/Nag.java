package org.mnistpipeline.infra;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import io.github.cdklabs.cdknag.RegexAppliesTo;
import java.util.ArrayList;
import java.util.List;
import software.constructs.IConstruct;

/**
 * The one way the stacks suppress a cdk-nag finding: on one named construct (never a whole stack), with the rule,
 * the exact resource or wildcard it applies to where the rule reports one, and why. Tests fail on any finding
 * not suppressed this way.
 */
final class Nag {
    private Nag() {}

    /** Suppresses {@code rule} on {@code construct} and its children, for every finding of that rule there. */
    static void suppress(IConstruct construct, String rule, String reason) {
        NagSuppressions.addResourceSuppressions(construct,
                List.of(NagPackSuppression.builder().id(rule).reason(reason).build()), true);
    }

    /**
     * Suppresses {@code rule} on {@code construct} only for the findings naming {@code appliesTo} (for IAM rules, e.g.
     * {@code Resource::arn:aws:s3:::bucket/prefix/*} or {@code Action::s3:GetObject*}), so a new wildcard elsewhere
     * still fails the check.
     */
    static void suppress(IConstruct construct, String rule, List<String> appliesTo, String reason) {
        NagSuppressions.addResourceSuppressions(construct,
                List.of(NagPackSuppression.builder().id(rule).reason(reason).appliesTo(List.copyOf(appliesTo)).build()),
                true);
    }

    /**
     * Suppresses IAM5 on {@code construct} for resources that end in exactly one of {@code resourceTails} (e.g.
     * {@code /mnist/registry/*}) behind a resource's ARN: the wildcard is named in full, while the ARN in front of it
     * may be a reference in the same stack or a cross-stack import, which nag renders differently.
     */
    static void suppressWildcardResources(IConstruct construct, List<String> resourceTails, String reason) {
        List<Object> appliesTo = new ArrayList<>();
        for (String tail : resourceTails) {
            appliesTo.add(RegexAppliesTo.builder().regex(
                    "/^Resource::(<[A-Za-z0-9]+\\.Arn>|[A-Za-z0-9]+:ExportsOutput[A-Za-z0-9]+)" + jsRegexQuote(tail) + "$/")
                    .build());
        }
        NagSuppressions.addResourceSuppressions(construct,
                List.of(NagPackSuppression.builder().id("AwsSolutions-IAM5").reason(reason).appliesTo(appliesTo)
                        .build()),
                true);
    }

    /**
     * CDK's own bucket-notifications handler, a singleton Lambda it adds to a stack whose bucket sends events to
     * EventBridge or to a function: its role carries the basic execution managed policy, which CDK offers no way to
     * replace.
     */
    static void suppressNotificationsHandler(software.amazon.awscdk.Stack stack) {
        for (IConstruct child : stack.getNode().getChildren()) {
            if (child.getNode().getId().startsWith("BucketNotificationsHandler")) {
                suppress(child, "AwsSolutions-IAM4",
                        List.of("Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
                        "CDK's bucket-notification handler (runs at deploy to set the bucket's notifications) logs"
                                + " through the basic execution role; CDK does not let it be replaced");
            }
        }
    }

    private static String jsRegexQuote(String literal) {
        StringBuilder out = new StringBuilder();
        for (char c : literal.toCharArray()) {
            if ("\\^$.|?*+()[]{}/".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
