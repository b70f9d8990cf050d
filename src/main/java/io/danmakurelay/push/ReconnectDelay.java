package io.danmakurelay.push;

/**
 * The wait before a room's next connection attempt after a failed one (and after a lost connection that may not
 * come back at once, {@link ImmediateReconnects}): exponential from {@code initialMs}, capped at {@code maxMs},
 * with "equal jitter" (half fixed, half random) so that rooms dropped together do not come back together. Pure:
 * the random draw is given.
 */
public record ReconnectDelay(long initialMs, long maxMs) {

  public ReconnectDelay {
    if (initialMs < 1 || maxMs < initialMs) {
      throw new IllegalArgumentException("need 1 <= initialMs <= maxMs, got " + initialMs + ", " + maxMs);
    }
  }

  /** The delay before attempt {@code failures} (1 = after the first failure), {@code random} in [0, 1). */
  public long delayMs(int failures, double random) {
    int shift = Math.min(Math.max(failures - 1, 0), 30);
    long base = Math.min(maxMs, initialMs << shift);
    return base / 2 + (long) (random * (base - base / 2));
  }
}
