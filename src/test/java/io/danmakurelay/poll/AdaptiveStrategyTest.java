package io.danmakurelay.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AdaptiveStrategyTest {

  private static final long T0 = SchedulerDriver.T0;

  /** Gives the room a settled estimate of {@code rate} messages/s. */
  private static void settle(AdaptiveStrategy strategy, long room, double rate) {
    strategy.addRoom(room, T0);
    strategy.observe(room, T0, new PollObservation(0, 0, false, 0, 0));
    long now = T0;
    for (int i = 0; i < 200; i++) {
      now += 1000;
      strategy.observe(room, now, new PollObservation((int) Math.round(rate), 10, false, 0, 0));
    }
  }

  @Test
  @DisplayName("A new room starts at poll.intervalMs")
  void newRoomStartsAtInterval() {
    AdaptiveStrategy strategy = new AdaptiveStrategy(3000, 1000, 60_000);
    strategy.addRoom(1, T0);
    assertThat(strategy.intervalMs(1)).isEqualTo(3000);
  }

  @Test
  @DisplayName("Polls are shared in proportion to rates: each room expects the same messages per poll")
  void proportionalAllocation() {
    AdaptiveStrategy strategy = new AdaptiveStrategy(3000, 100, 600_000);
    settle(strategy, 1, 8);
    settle(strategy, 2, 4);
    settle(strategy, 3, 2);
    strategy.rebalance(10, T0);
    double polls1 = 1000.0 / strategy.intervalMs(1);
    double polls2 = 1000.0 / strategy.intervalMs(2);
    double polls3 = 1000.0 / strategy.intervalMs(3);
    assertThat(polls1 / polls2).isCloseTo(2, within(0.1));
    assertThat(polls2 / polls3).isCloseTo(2, within(0.1));
    assertThat(polls1 + polls2 + polls3).isCloseTo(10 * AdaptiveStrategy.TARGET_UTILISATION, within(0.2));
    double believed = strategy.estimatedRatePerSecond(1) + strategy.estimatedRatePerSecond(2)
        + strategy.estimatedRatePerSecond(3);
    assertThat(believed).isCloseTo(14, within(1.0));
    assertThat(strategy.messagesPerPoll()).isCloseTo(believed / 10 / AdaptiveStrategy.TARGET_UTILISATION, within(0.02));
  }

  @Test
  @DisplayName("Intervals stay within [minIntervalMs, floor], and the plan never asks for more than the budget")
  void boundsAndBudget() {
    AdaptiveStrategy strategy = new AdaptiveStrategy(3000, 1000, 60_000);
    settle(strategy, 1, 500);
    for (long room = 2; room <= 50; room++) {
      settle(strategy, room, 0);
    }
    strategy.rebalance(5, T0);
    assertThat(strategy.intervalMs(1)).isEqualTo(1000);
    double total = 0;
    for (long room = 1; room <= 50; room++) {
      long interval = strategy.intervalMs(room);
      assertThat(interval).isBetween(1000L, 60_000L);
      total += 1000.0 / interval;
    }
    assertThat(total).isLessThanOrEqualTo(5 * 1.001);

    // A budget too small for even the floors: every room at the floor, the scheduler stretches them.
    strategy.rebalance(0.2, T0);
    for (long room = 2; room <= 50; room++) {
      assertThat(strategy.intervalMs(room)).isEqualTo((long) (60_000 * AdaptiveStrategy.FLOOR_SHARE_OF_MAX_INTERVAL));
    }
  }

  @Test
  @DisplayName("A plentiful budget polls every room at minIntervalMs")
  void plentifulBudget() {
    AdaptiveStrategy strategy = new AdaptiveStrategy(3000, 1000, 60_000);
    settle(strategy, 1, 1);
    settle(strategy, 2, 0);
    strategy.rebalance(50, T0);
    assertThat(strategy.intervalMs(1)).isEqualTo(1000);
    assertThat(strategy.intervalMs(2)).isEqualTo(1000);
    strategy.removeRoom(2);
    assertThat(strategy.estimatedRatePerSecond(2)).isZero();
  }
}
