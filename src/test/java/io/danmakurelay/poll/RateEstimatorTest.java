package io.danmakurelay.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.danmakurelay.poll.SchedulerDriver.SteadyRoom;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RateEstimatorTest {

  private static final long T0 = SchedulerDriver.T0;

  /** Polls a Poisson room every {@code intervalMs}, returning the estimator. */
  private static RateEstimator pollPoisson(double rate, long intervalMs, int polls, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    RateEstimator estimator = new RateEstimator(1000);
    estimator.observe(T0, new PollObservation(0, 0, false, 0, 0));
    long now = T0;
    for (int i = 0; i < polls; i++) {
      now += intervalMs;
      int arrived = poisson(random, rate * intervalMs / 1000.0);
      int fresh = Math.min(arrived, 10);
      estimator.observe(now, new PollObservation(fresh, 10, arrived >= 10, now - 5000, now - 1000));
    }
    return estimator;
  }

  private static int poisson(SplittableRandom random, double mean) {
    int n = 0;
    double t = -Math.log(1 - random.nextDouble());
    while (t < mean) {
      n++;
      t += -Math.log(1 - random.nextDouble());
    }
    return n;
  }

  @Test
  @DisplayName("An uncensored Poisson room is estimated within 15% of its rate, slow or busy")
  void uncensoredEstimate() {
    assertThat(pollPoisson(0.2, 20_000, 200, 1).ratePerSecond()).isCloseTo(0.2, within(0.03));
    assertThat(pollPoisson(3, 1000, 400, 2).ratePerSecond()).isCloseTo(3, within(0.45));
    assertThat(pollPoisson(40, 100, 2000, 3).ratePerSecond()).isCloseTo(40, within(6.0));
  }

  @Test
  @DisplayName("A room polled at about 6 expected messages, sometimes full, is not overestimated")
  void occasionalFullWindowsDoNotInflate() {
    double estimate = pollPoisson(60, 100, 3000, 4).ratePerSecond();
    assertThat(estimate).isCloseTo(60, within(9.0));
  }

  @Test
  @DisplayName("Censored windows grow the estimate quickly: a silent room going to 50/s is believed within a few polls")
  void censoredWindowsGrowFast() {
    RateEstimator estimator = new RateEstimator(200);
    SteadyRoom room = new SteadyRoom(0);
    long now = T0;
    estimator.observe(now, room.poll(now));
    room.setRate(50, now + 1000);
    now += 30_000;
    int polls = 0;
    while (estimator.ratePerSecond() < 40 && polls < 20) {
      estimator.observe(now, room.poll(now));
      polls++;
      // The strategy's reaction: about 6 expected messages per poll.
      now += Math.max(100, (long) (6000 / Math.max(estimator.ratePerSecond(), 0.1)));
    }
    assertThat(polls).isLessThanOrEqualTo(6);
  }

  @Test
  @DisplayName("The first window's timestamps give a busy room a high estimate at once")
  void firstWindowUsesTimestamps() {
    RateEstimator estimator = new RateEstimator(1000);
    estimator.observe(T0 + 500, new PollObservation(10, 10, false, T0, T0));
    assertThat(estimator.ratePerSecond()).isGreaterThanOrEqualTo(9);
    RateEstimator quiet = new RateEstimator(1000);
    quiet.observe(T0, new PollObservation(3, 3, false, T0 - 3_600_000, T0 - 60_000));
    assertThat(quiet.ratePerSecond()).isLessThan(0.01);
  }

  @Test
  @DisplayName("A busy room going silent drops its estimate below 1/s within a few seconds of polls")
  void quietReleases() {
    RateEstimator estimator = pollPoisson(50, 120, 500, 5);
    assertThat(estimator.ratePerSecond()).isGreaterThan(35);
    long now = T0 + 120L * 500;
    long start = now;
    while (estimator.ratePerSecond() >= 1 && now - start < 60_000) {
      now += Math.max(100, (long) (6000 / estimator.ratePerSecond()));
      estimator.observe(now, new PollObservation(0, 10, false, T0, T0));
    }
    assertThat(now - start).isLessThan(20_000);
  }

  @Test
  @DisplayName("Poisson helpers: tail probabilities and the mean of a count known to be at least 10")
  void poissonHelpers() {
    assertThat(RateEstimator.atLeast(10, 0)).isZero();
    assertThat(RateEstimator.atLeast(0, 3)).isCloseTo(1, within(1e-12));
    assertThat(RateEstimator.atLeast(10, 6)).isCloseTo(0.0839, within(1e-3));
    assertThat(RateEstimator.atMost(0, 2)).isCloseTo(Math.exp(-2), within(1e-12));
    assertThat(RateEstimator.expectedGivenAtLeast(10, 0.01)).isCloseTo(10, within(0.01));
    assertThat(RateEstimator.expectedGivenAtLeast(10, 50)).isCloseTo(50, within(0.01));
    assertThat(RateEstimator.expectedGivenAtLeast(10, 8)).isBetween(10.5, 12.0);
  }

  @Test
  @DisplayName("The window rate counts gaps between timestamps, with a span under a second taken as one")
  void windowRate() {
    assertThat(RateEstimator.windowRate(new PollObservation(10, 10, true, T0, T0 + 9000))).isCloseTo(1.0, within(1e-9));
    assertThat(RateEstimator.windowRate(new PollObservation(10, 10, true, T0, T0))).isCloseTo(9.0, within(1e-9));
    assertThat(RateEstimator.windowRate(new PollObservation(1, 1, false, T0, T0))).isZero();
    assertThat(RateEstimator.windowRate(new PollObservation(5, 5, false, 0, 0))).isZero();
  }
}
