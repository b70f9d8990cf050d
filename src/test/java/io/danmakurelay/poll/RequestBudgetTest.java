package io.danmakurelay.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RequestBudgetTest {

  private static final long T0 = SchedulerDriver.T0;

  @Test
  @DisplayName("Requests are spaced 1/rate apart: one at once after idling, the next one 1/rate later")
  void spacing() {
    RequestBudget budget = new RequestBudget(5);
    assertThat(budget.tryAcquire(T0, 5)).isTrue();
    assertThat(budget.tryAcquire(T0 + 199, 5)).isFalse();
    assertThat(budget.nextAvailableAt(T0 + 1)).isEqualTo(T0 + 200);
    assertThat(budget.tryAcquire(T0 + 200, 5)).isTrue();
    assertThat(budget.tryAcquire(T0 + 10_000, 5)).isTrue();
    assertThat(budget.tryAcquire(T0 + 10_000, 5)).as("no burst after idling: capacity 1").isFalse();
  }

  @Test
  @DisplayName("A caller that always comes 1-2 ms late (timers fire late) still gets the whole budget, never more")
  void lateTimersKeepTheSchedule() {
    RequestBudget budget = new RequestBudget(50);
    long now = T0;
    int granted = 0;
    while (now < T0 + 10_000) {
      assertThat(budget.tryAcquire(now, 50)).isTrue();
      granted++;
      now = budget.nextAvailableAt(now) + 1 + (granted % 2);
    }
    assertThat(granted).isBetween(495, 500);
  }

  @Test
  @DisplayName("A caller up to 5 ms late (timers on a loaded machine) still gets the whole budget, never more in a second")
  void loadedMachineTimersKeepTheSchedule() {
    RequestBudget budget = new RequestBudget(100);
    long now = T0;
    List<Long> grants = new ArrayList<>();
    while (now < T0 + 10_000) {
      assertThat(budget.tryAcquire(now, 100)).isTrue();
      grants.add(now);
      // 3, 4, 5, 3, ... ms after each token is due; with a slack of 2 ms each of these lost its lateness for good.
      now = budget.nextAvailableAt(now) + 3 + (grants.size() % 3);
    }
    assertThat(grants).hasSizeBetween(990, 1000);
    assertThat(SchedulerDriver.maxInAnySecond(grants)).isLessThanOrEqualTo(100);
  }

  @Test
  @DisplayName("A budget above 1,000 requests/s is usable on a millisecond clock: several grants in one millisecond")
  void budgetsAboveOnePerMillisecond() {
    RequestBudget budget = new RequestBudget(1500);
    int granted = 0;
    for (long now = T0; now < T0 + 1000; now++) {
      while (budget.tryAcquire(now, 1500)) {
        granted++;
      }
    }
    assertThat(granted).isEqualTo(1500);
    assertThat(budget.tryAcquire(T0 + 999, 1500)).isFalse();
  }

  @Test
  @DisplayName("No one-second window ever holds more than the rate, for random callers and integer or fractional rates")
  void neverMoreThanTheRateInAnySecond() {
    double[] rates = {0.3, 1, 2.5, 3, 5, 7.9, 50, 100, 1500, 4000.5};
    for (int seed = 0; seed < 40; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      double rate = rates[random.nextInt(rates.length)];
      RequestBudget budget = new RequestBudget(rate);
      List<Long> granted = new ArrayList<>();
      long now = T0;
      for (int i = 0; i < 20_000; i++) {
        now += random.nextInt(random.nextBoolean() ? 3 : 400);
        // Sometimes at a reduced share of the rate, as after risk control.
        double share = random.nextInt(10) == 0 ? 0.5 : 1.0;
        if (random.nextBoolean()) {
          long at = Math.max(now, budget.nextAvailableAt(now));
          if (budget.tryAcquire(at, rate * share)) {
            granted.add(at);
            now = at;
          }
        } else if (budget.tryAcquire(now, rate * share)) {
          granted.add(now);
        }
      }
      int cap = Math.max(1, (int) Math.floor(rate));
      assertThat(SchedulerDriver.maxInAnySecond(granted)).as("seed %d at %.1f/s", seed, rate).isLessThanOrEqualTo(cap);
      assertThat(granted).isNotEmpty();
    }
  }

  @Test
  @DisplayName("A saturated budget grants the full rate: 50 per second over a minute")
  void fullRateWhenSaturated() {
    RequestBudget budget = new RequestBudget(50);
    int granted = 0;
    for (long t = T0; t < T0 + 60_000; t++) {
      if (budget.tryAcquire(t, 50)) {
        granted++;
      }
    }
    assertThat(granted).isEqualTo(3000);
  }

  @Test
  @DisplayName("A fractional rate such as 2.5/s is held to 2 in every second, still 2.5/s on average over longer spans")
  void fractionalRate() {
    RequestBudget budget = new RequestBudget(2.5);
    List<Long> granted = new ArrayList<>();
    for (long t = T0; t < T0 + 60_000; t++) {
      if (budget.tryAcquire(t, 2.5)) {
        granted.add(t);
      }
    }
    assertThat(SchedulerDriver.maxInAnySecond(granted)).isEqualTo(2);
    assertThat(granted.size()).isBetween(119, 121);
  }

  @Test
  @DisplayName("A wall clock stepped back by minutes does not freeze the budget until it catches up")
  void clockSteppedBack() {
    RequestBudget budget = new RequestBudget(5);
    assertThat(budget.tryAcquire(T0, 5)).isTrue();
    long back = T0 - 300_000;
    assertThat(budget.nextAvailableAt(back)).isLessThanOrEqualTo(back + 200);
    assertThat(budget.tryAcquire(back + 200, 5)).isTrue();
  }

  @Test
  @DisplayName("A budget that is not a positive number is refused")
  void invalidRate() {
    assertThatThrownBy(() -> new RequestBudget(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RequestBudget(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
  }
}
