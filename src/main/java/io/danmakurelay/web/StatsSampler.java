package io.danmakurelay.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Reads the relay's meters every few seconds into a {@link StatsWindow}, so the dashboard opened now shows
 * the last minutes. Reads only the in-memory registry (no I/O); runs on the event loop that serves
 * {@code GET /api/stats}, so the window needs no lock.
 */
public final class StatsSampler {

  static final String PUBLISHED = "danmaku.messages.published";
  static final String POLLS = "danmaku.polls";
  static final String GAPS = "danmaku.gaps";
  static final String DUPLICATES = "danmaku.duplicates.dropped";
  static final String PUBLISH_DELAY = "danmaku.publish.delay";
  static final String RISK_CONTROL = "danmaku.risk.control.active";
  static final String BUFFERED = "danmaku.kafka.buffered.messages";

  private final MeterRegistry registry;
  private final StatsWindow window;
  private final long intervalMs;
  private final LongSupplier clock;
  private Vertx vertx;
  private long timerId = -1;

  public StatsSampler(MeterRegistry registry, double budgetPerSecond, long intervalMs, int samplesKept,
                      LongSupplier clock) {
    this.registry = registry;
    this.window = new StatsWindow(samplesKept, intervalMs, budgetPerSecond);
    this.intervalMs = intervalMs;
    this.clock = clock;
  }

  /** Takes the baseline reading now and one every interval after, on the calling context. */
  public void start(Vertx vertx) {
    this.vertx = vertx;
    sampleNow();
    timerId = vertx.setPeriodic(intervalMs, id -> sampleNow());
  }

  public void stop() {
    if (vertx != null && timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  /** Reads the meters now into the window. (Synchronized: requests are served on several event loops.) */
  public synchronized void sampleNow() {
    window.add(read(registry, clock.getAsLong()));
  }

  /** The window as {@code GET /api/stats} answers it. */
  public synchronized JsonObject toJson() {
    return window.toJson();
  }

  /**
   * The cumulative values the figures come from. Requests are the upstream polls of every outcome: the only
   * requests the relay counts today; a meter missing (its stage not started) reads as zero.
   */
  static StatsWindow.Reading read(MeterRegistry registry, long nowMs) {
    double[] bounds = new double[0];
    double[] cumulative = new double[0];
    long delayCount = 0;
    Timer delay = registry.find(PUBLISH_DELAY).timer();
    if (delay != null) {
      HistogramSnapshot snapshot = delay.takeSnapshot();
      CountAtBucket[] buckets = snapshot.histogramCounts();
      bounds = new double[buckets.length];
      cumulative = new double[buckets.length];
      for (int i = 0; i < buckets.length; i++) {
        bounds[i] = buckets[i].bucket(TimeUnit.MILLISECONDS);
        cumulative[i] = buckets[i].count();
      }
      delayCount = snapshot.count();
    }
    Gauge risk = registry.find(RISK_CONTROL).gauge();
    Gauge buffered = registry.find(BUFFERED).gauge();
    return new StatsWindow.Reading(nowMs, counted(registry, PUBLISHED), counted(registry, POLLS),
        counted(registry, GAPS), counted(registry, DUPLICATES), bounds, cumulative, delayCount,
        risk != null && risk.value() > 0, buffered == null ? 0 : buffered.value());
  }

  /** The sum over every tag combination of a counter (plain or function-backed). */
  private static double counted(MeterRegistry registry, String name) {
    double sum = 0;
    for (Counter counter : registry.find(name).counters()) {
      sum += counter.count();
    }
    for (FunctionCounter counter : registry.find(name).functionCounters()) {
      sum += counter.count();
    }
    return sum;
  }
}
