package io.danmakurelay.pipeline;

import java.util.random.RandomGenerator;

/**
 * Per-room retry delays: exponential in the number of consecutive failures, with "equal jitter" (a uniform
 * draw in the upper half of the exponential step) so that rooms failing together do not retry together.
 */
public final class BackoffPolicy {

  private final long initialMs;
  private final long maxMs;

  public BackoffPolicy(long initialMs, long maxMs) {
    if (initialMs <= 0 || maxMs < initialMs) {
      throw new IllegalArgumentException(
          "backoff needs 0 < initialMs <= maxMs, got " + initialMs + " and " + maxMs);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /**
   * The ceiling of the n-th consecutive failure's delay: {@code min(maxMs, initialMs * 2^n)}. Drawing in
   * [ceiling/2, ceiling] keeps every delay within [initialMs, maxMs] while still doubling on average.
   */
  public long ceilingMs(int consecutiveFailures) {
    int n = Math.max(1, consecutiveFailures);
    if (n >= 62 || initialMs > (maxMs >> Math.min(n, 62))) {
      return maxMs;
    }
    return Math.min(maxMs, initialMs << n);
  }

  /** The delay before the next attempt after {@code consecutiveFailures} failures in a row (1 = first). */
  public long delayMs(int consecutiveFailures, RandomGenerator random) {
    long ceiling = ceilingMs(consecutiveFailures);
    long floor = Math.max(initialMs, ceiling / 2);
    if (ceiling <= floor) {
      return floor;
    }
    return floor + random.nextLong(ceiling - floor + 1);
  }
}
