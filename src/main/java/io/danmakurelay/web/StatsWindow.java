package io.danmakurelay.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * The relay's own figures over the last minutes, for the dashboard ({@code GET /api/stats}): takes cumulative
 * meter {@link Reading}s a few seconds apart and keeps, in a bounded ring, what happened between each two:
 * messages/s, requests/s, gaps, duplicates dropped, publish delay p50/p99. Pure: values in, JSON out.
 */
public final class StatsWindow {

  /**
   * Cumulative meter values at one instant. {@code delayBoundsMs} are the publish-delay histogram's bucket
   * upper bounds (ascending), {@code delayCumulative} how many delays were at most each bound; delays above
   * the last bound are {@code delayCount} minus the last of them.
   */
  public record Reading(long atMs, double published, double requests, double gaps, double duplicates,
                        double[] delayBoundsMs, double[] delayCumulative, long delayCount,
                        boolean riskControl, double buffered) {
    public Reading {
      if (delayBoundsMs.length != delayCumulative.length) {
        throw new IllegalArgumentException("one cumulative count per histogram bound");
      }
    }
  }

  /** What happened between two readings; the delays are null when nothing was committed in between. */
  public record Sample(long atMs, double seconds, double messagesPerSecond, double requestsPerSecond, long gaps,
                       long duplicatesDropped, Double delayP50Ms, Double delayP99Ms, long commits,
                       boolean riskControl, long buffered) {

    JsonObject toJson() {
      return new JsonObject()
          .put("at", atMs)
          .put("seconds", round(seconds, 3))
          .put("messages_per_second", round(messagesPerSecond, 3))
          .put("requests_per_second", round(requestsPerSecond, 3))
          .put("gaps", gaps)
          .put("duplicates_dropped", duplicatesDropped)
          .put("publish_delay_p50_ms", delayP50Ms == null ? null : round(delayP50Ms, 1))
          .put("publish_delay_p99_ms", delayP99Ms == null ? null : round(delayP99Ms, 1))
          .put("delays_recorded", commits)
          .put("risk_control", riskControl)
          .put("kafka_buffered", buffered);
    }
  }

  private final int capacity;
  private final long intervalMs;
  private final double budgetPerSecond;
  private final Deque<Sample> samples = new ArrayDeque<>();
  private Reading previous;

  /**
   * @param capacity        samples kept (the oldest go first)
   * @param intervalMs      the intended spacing of readings, reported to the page
   * @param budgetPerSecond the configured request budget, drawn beside requests/s
   */
  public StatsWindow(int capacity, long intervalMs, double budgetPerSecond) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.capacity = capacity;
    this.intervalMs = intervalMs;
    this.budgetPerSecond = budgetPerSecond;
  }

  /** Adds a reading; from the second one on, each yields the sample of the time since the one before. */
  public void add(Reading reading) {
    Reading before = previous;
    previous = reading;
    if (before == null || reading.atMs() <= before.atMs()) {
      // The first reading is the baseline; a clock stepped back makes the next one the baseline instead.
      return;
    }
    samples.addLast(between(before, reading));
    while (samples.size() > capacity) {
      samples.removeFirst();
    }
  }

  public int size() {
    return samples.size();
  }

  public Sample latest() {
    return samples.peekLast();
  }

  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    samples.forEach(s -> list.add(s.toJson()));
    return new JsonObject()
        .put("interval_ms", intervalMs)
        .put("window_ms", intervalMs * capacity)
        .put("budget_per_second", budgetPerSecond)
        .put("samples", list);
  }

  static Sample between(Reading a, Reading b) {
    double seconds = (b.atMs() - a.atMs()) / 1000.0;
    double[] delayDelta = new double[b.delayBoundsMs().length];
    long delays = b.delayCount() - a.delayCount();
    boolean sameBuckets = Arrays.equals(a.delayBoundsMs(), b.delayBoundsMs());
    if (!sameBuckets || delays < 0) {
      // The histogram was replaced or reset: what it holds now is all there is to go by.
      delays = b.delayCount();
      delayDelta = b.delayCumulative().clone();
    } else {
      for (int i = 0; i < delayDelta.length; i++) {
        delayDelta[i] = Math.max(0, b.delayCumulative()[i] - a.delayCumulative()[i]);
      }
    }
    return new Sample(b.atMs(), seconds,
        increase(a.published(), b.published()) / seconds,
        increase(a.requests(), b.requests()) / seconds,
        Math.round(increase(a.gaps(), b.gaps())),
        Math.round(increase(a.duplicates(), b.duplicates())),
        quantile(0.50, b.delayBoundsMs(), delayDelta, delays),
        quantile(0.99, b.delayBoundsMs(), delayDelta, delays),
        delays, b.riskControl(), Math.round(b.buffered()));
  }

  /** A counter's rise; a counter that went down was re-created, so its whole value is the rise. */
  private static double increase(double before, double after) {
    return after >= before ? after - before : after;
  }

  /**
   * The {@code q} quantile of {@code count} values known only by cumulative bucket counts, interpolated
   * linearly inside the bucket it falls in (as Prometheus's {@code histogram_quantile} does); above the last
   * bound it is that bound. Null when there are no values.
   */
  static Double quantile(double q, double[] boundsMs, double[] cumulative, long count) {
    if (count <= 0) {
      return null;
    }
    double rank = q * count;
    double lowerBound = 0;
    double lowerCount = 0;
    for (int i = 0; i < boundsMs.length; i++) {
      if (cumulative[i] >= rank && cumulative[i] > lowerCount) {
        double fraction = (rank - lowerCount) / (cumulative[i] - lowerCount);
        return lowerBound + (boundsMs[i] - lowerBound) * fraction;
      }
      lowerBound = boundsMs[i];
      lowerCount = cumulative[i];
    }
    return boundsMs.length == 0 ? null : boundsMs[boundsMs.length - 1];
  }

  private static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }
}
