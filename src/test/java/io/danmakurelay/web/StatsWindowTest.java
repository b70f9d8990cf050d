package io.danmakurelay.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The dashboard's figures window")
class StatsWindowTest {

  private static final double[] BOUNDS = {10, 100, 1000, 10_000};

  private static StatsWindow.Reading reading(long at, double published, double requests, double gaps,
                                             double duplicates, double[] cumulative, long delays) {
    return new StatsWindow.Reading(at, published, requests, gaps, duplicates, BOUNDS, cumulative, delays,
        false, 0);
  }

  @Test
  @DisplayName("turns two cumulative readings into rates per second and counts of the interval between them")
  void ratesBetweenReadings() {
    StatsWindow window = new StatsWindow(10, 5000, 5.0);
    window.add(reading(10_000, 100, 40, 1, 7, new double[] {0, 0, 0, 0}, 0));
    assertThat(window.size()).as("the first reading is only the baseline").isZero();

    window.add(reading(15_000, 150, 65, 3, 17, new double[] {0, 10, 20, 20}, 20));

    StatsWindow.Sample s = window.latest();
    assertThat(s.seconds()).isEqualTo(5.0);
    assertThat(s.messagesPerSecond()).isEqualTo(10.0);
    assertThat(s.requestsPerSecond()).isEqualTo(5.0);
    assertThat(s.gaps()).isEqualTo(2);
    assertThat(s.duplicatesDropped()).isEqualTo(10);
    assertThat(s.commits()).isEqualTo(20);
    // 10 delays in (10, 100], 10 in (100, 1000]: the median is the top of the first bucket.
    assertThat(s.delayP50Ms()).isCloseTo(100.0, within(0.001));
    assertThat(s.delayP99Ms()).isCloseTo(100 + 900 * 0.98, within(0.001));
  }

  @Test
  @DisplayName("takes the delays of each interval alone, not those since start-up")
  void delaysPerInterval() {
    StatsWindow window = new StatsWindow(10, 5000, 5.0);
    window.add(reading(0, 0, 0, 0, 0, new double[] {0, 0, 0, 0}, 0));
    window.add(reading(5000, 0, 0, 0, 0, new double[] {0, 0, 100, 100}, 100));
    window.add(reading(10_000, 0, 0, 0, 0, new double[] {50, 50, 100, 100}, 150));

    assertThat(window.latest().commits()).isEqualTo(50);
    assertThat(window.latest().delayP99Ms()).isLessThanOrEqualTo(10.0);
  }

  @Test
  @DisplayName("has no delay figure for an interval without commits, and caps delays above the last bucket")
  void emptyAndOverflowingDelays() {
    StatsWindow window = new StatsWindow(10, 5000, 5.0);
    window.add(reading(0, 0, 0, 0, 0, new double[] {0, 0, 0, 0}, 0));
    window.add(reading(5000, 0, 0, 0, 0, new double[] {0, 0, 0, 0}, 0));
    assertThat(window.latest().delayP50Ms()).isNull();
    assertThat(window.latest().delayP99Ms()).isNull();
    assertThat(window.toJson().getJsonArray("samples").getJsonObject(0).containsKey("publish_delay_p50_ms"))
        .isTrue();

    window.add(reading(10_000, 0, 0, 0, 0, new double[] {0, 0, 0, 1}, 5));
    assertThat(window.latest().delayP50Ms()).isEqualTo(10_000.0);
  }

  @Test
  @DisplayName("keeps only the newest samples, oldest dropped first")
  void boundedRing() {
    StatsWindow window = new StatsWindow(3, 1000, 5.0);
    for (int i = 0; i <= 10; i++) {
      window.add(reading(i * 1000L, i * 2.0, 0, 0, 0, new double[] {0, 0, 0, 0}, 0));
    }
    JsonObject json = window.toJson();
    assertThat(json.getJsonArray("samples")).hasSize(3);
    assertThat(json.getJsonArray("samples").getJsonObject(0).getLong("at")).isEqualTo(8000L);
    assertThat(json.getLong("window_ms")).isEqualTo(3000L);
    assertThat(json.getDouble("budget_per_second")).isEqualTo(5.0);
  }

  @Test
  @DisplayName("survives a clock stepped back and counters re-created at zero without negative figures")
  void clockAndCounterResets() {
    StatsWindow window = new StatsWindow(10, 1000, 5.0);
    window.add(reading(10_000, 500, 100, 5, 5, new double[] {0, 0, 0, 10}, 10));
    window.add(reading(9_000, 510, 101, 5, 5, new double[] {0, 0, 0, 10}, 10));
    assertThat(window.size()).as("a reading dated before the previous one only becomes the baseline").isZero();

    window.add(reading(10_000, 4, 2, 0, 0, new double[] {0, 0, 0, 0}, 0));
    StatsWindow.Sample s = window.latest();
    assertThat(s.messagesPerSecond()).isEqualTo(4.0);
    assertThat(s.requestsPerSecond()).isEqualTo(2.0);
    assertThat(s.gaps()).isZero();
    assertThat(s.commits()).isZero();
  }

  @Test
  @DisplayName("computes quantiles as histogram_quantile does: linear inside the bucket")
  void quantileInterpolation() {
    double[] bounds = {100, 200};
    assertThat(StatsWindow.quantile(0.5, bounds, new double[] {0, 4}, 4)).isCloseTo(150.0, within(1e-9));
    assertThat(StatsWindow.quantile(0.25, bounds, new double[] {4, 4}, 4)).isCloseTo(25.0, within(1e-9));
    assertThat(StatsWindow.quantile(0.5, bounds, new double[] {0, 0}, 0)).isNull();
    assertThat(StatsWindow.quantile(0.5, new double[0], new double[0], 3)).isNull();
  }
}
