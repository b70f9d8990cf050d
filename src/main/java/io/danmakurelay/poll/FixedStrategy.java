package io.danmakurelay.poll;

/**
 * {@code poll.strategy=fixed}: every room every {@code poll.intervalMs}. When the budget cannot cover that,
 * the scheduler's most-overdue-first order turns it into a round-robin. Still measures rates, for display.
 */
public final class FixedStrategy extends RateTrackingStrategy {

  private final long intervalMs;

  public FixedStrategy(long intervalMs) {
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("poll.intervalMs must be positive, got " + intervalMs);
    }
    this.intervalMs = intervalMs;
  }

  @Override
  protected RateEstimator newEstimator() {
    return new RateEstimator(Double.POSITIVE_INFINITY);
  }

  @Override
  public void rebalance(double pollsPerSecond, long nowMs) {
    // A fixed interval ignores the budget by definition; the scheduler enforces it.
  }

  @Override
  public long intervalMs(long roomId) {
    return intervalMs;
  }
}
