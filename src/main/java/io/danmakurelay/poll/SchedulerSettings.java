package io.danmakurelay.poll;

/**
 * The scheduler's knobs, taken from the {@code upstream}, {@code poll} and {@code backoff} config keys.
 *
 * @param strategy          "adaptive" or "fixed"
 * @param requestsPerSecond the global budget: all requests together, never exceeded
 * @param watchedMaxDelayMs a watched room (one with a WebSocket subscriber) has its messages within this
 */
public record SchedulerSettings(
    String strategy,
    double requestsPerSecond,
    long intervalMs,
    long minIntervalMs,
    long maxIntervalMs,
    long backoffInitialMs,
    long backoffMaxMs,
    long watchedMaxDelayMs) {

  /** The default of {@code poll.watchedMaxDelayMs}. */
  public static final long DEFAULT_WATCHED_MAX_DELAY_MS = 3000;

  /** Without a watched delay of one's own: the default. */
  public SchedulerSettings(String strategy, double requestsPerSecond, long intervalMs, long minIntervalMs,
      long maxIntervalMs, long backoffInitialMs, long backoffMaxMs) {
    this(strategy, requestsPerSecond, intervalMs, minIntervalMs, maxIntervalMs, backoffInitialMs, backoffMaxMs,
        DEFAULT_WATCHED_MAX_DELAY_MS);
  }
}
