package io.danmakurelay.poll;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The gate's queue-ahead rule: while a caller waits ahead (push connection requests), the others yield. */
class UpstreamGateTest {

  @Test
  @DisplayName("While a caller waits ahead, tryAcquire grants nothing and tryAcquireAhead takes the token")
  void waitingAheadTakesTheToken() {
    UpstreamGate gate = new UpstreamGate(10, 2000, 300_000);
    long t = 1_000_000;
    gate.waitingAhead(true);
    assertThat(gate.tryAcquire(t)).as("a poll while a connect request waits").isFalse();
    assertThat(gate.tryAcquireAhead(t)).as("the connect request").isTrue();
    gate.onExchangeEnded(t + 5);
    long next = gate.nextTokenAtMs(t + 5);
    assertThat(next).as("spacing at 10/s").isEqualTo(t + 100);
    assertThat(gate.tryAcquire(next)).isFalse();
    gate.waitingAhead(false);
    assertThat(gate.tryAcquire(next)).as("nobody waits ahead any more").isTrue();
  }

  @Test
  @DisplayName("Going ahead never exceeds the budget: both kinds of grant share one window")
  void aheadSharesTheBudget() {
    UpstreamGate gate = new UpstreamGate(5, 2000, 300_000);
    long t = 1_000_000;
    int granted = 0;
    for (long ms = t; ms < t + 1000; ms++) {
      if (gate.tryAcquireAhead(ms) || gate.tryAcquire(ms)) {
        granted++;
      }
    }
    assertThat(granted).isEqualTo(5);
    gate.waitingAhead(false);
    assertThat(gate.tryAcquire(t + 999)).as("an unbalanced 'stops waiting' does not go below zero").isFalse();
  }
}
