package org.mnistpipeline.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PlannerTest {
    private final MeasuredThroughput server = MeasuredThroughput.load();
    private final PriceBook prices = PriceBook.load();
    private final Planner planner = new Planner(server, MeasuredLambda.load(), prices, 0.5);

    @Test
    void theMeasuredPeakIsTheBenchmarksBestMedianAndPerInstanceFiguresFollowVcpus() {
        assertThat(server.peak().rps()).isEqualTo(9109.1);
        assertThat(server.peak().concurrency()).isEqualTo(64);
        assertThat(server.perVcpu(server.peak())).isEqualTo(4554.55);
        assertThat(server.targetPerMinute(InstanceTypes.spec("ml.c5.large"), 0.5)).isEqualTo(273_273);
        assertThat(server.targetPerMinute(InstanceTypes.spec("ml.c5.xlarge"), 0.5)).isEqualTo(546_546);
        // A burstable t3.medium sustains 20 % of its two vCPUs.
        assertThat(server.targetPerMinute(InstanceTypes.spec("ml.t3.medium"), 0.5)).isEqualTo(54_654);
    }

    @Test
    void tenHundredAndAThousandRequestsASecondFitTheMinimumFleetOfTwoOnEveryType() {
        for (double rps : new double[] {10, 100, 1000}) {
            Planner.Plan plan = planner.plan(rps, null);
            assertThat(plan.instances()).allSatisfy(o -> assertThat(o.count()).isEqualTo(2));
            assertThat(plan.recommended()).hasValueSatisfying(o -> assertThat(o.type().type()).isEqualTo("ml.t3.medium"));
        }
        // Beyond what two burstable instances sustain (2 x 911 req/s), more are needed.
        Planner.Plan big = planner.plan(5000, null);
        Planner.InstanceOption t3 = big.instances().stream().filter(o -> o.type().type().equals("ml.t3.medium"))
                .findFirst().orElseThrow();
        assertThat(t3.count()).isEqualTo(6);
        assertThat(t3.hourlyUsd()).hasValue(0.05 * 6);
    }

    @Test
    void aLatencyBoundPicksTheBusiestMeasuredPointWithinIt() {
        Planner.Plan plan = planner.plan(100, 5.0);
        assertThat(plan.point().concurrency()).isEqualTo(16);
        assertThat(plan.point().p99Ms()).isLessThanOrEqualTo(5.0);
        assertThatThrownBy(() -> planner.plan(100, 0.3)).hasMessageContaining("lowest measured is 0.59 ms");
        assertThatThrownBy(() -> planner.plan(0, null)).hasMessageContaining("--rps");
    }

    @Test
    void lambdaMemoryGrowsOnlyWhenTheLatencyBoundAsksForMoreCpu() {
        assertThat(planner.plan(100, null).lambda().memoryMb()).isEqualTo(1024);
        // Cache off, the handler's p99 is 8.4 ms at a full vCPU, 14.4 ms at 1,024 MB.
        assertThat(planner.plan(100, 13.0).lambda().memoryMb()).isEqualTo(1769);
        Planner.LambdaOption l = planner.plan(1000, null).lambda();
        // 1,000 req/s for 730 h at the benchmark's $0.224 per million (1,024 MB, cache off).
        assertThat(l.monthlyUsd()).isBetween(588.0, 589.0);
    }

    @Test
    void pricesWithoutASourceStayUnknownAndTheRenderedPlanSaysSo() {
        assertThat(prices.hourly("ml.c5.large")).isEmpty();
        assertThat(prices.hourly("ml.m5.xlarge")).hasValue(0.269);
        String table = Planner.render(planner.plan(1000, null), prices, server);
        assertThat(table).contains("ml.c5.large").contains("unknown").contains("cheapest with a known price")
                .contains("int8");
    }
}
