package io.danmakurelay.poll;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code poll.strategy=fixed}: every room every {@code poll.intervalMs}. When the budget cannot cover that,
 * the scheduler's most-overdue-first order turns it into a round-robin. Still measures rates, for display.
 */
public final class FixedStrategy implements PollStrategy {

  private final long intervalMs;
  private final Map<Long, RateEstimator> rates = new HashMap<>();

  public FixedStrategy(long intervalMs) {
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("poll.intervalMs must be positive, got " + intervalMs);
    }
    this.intervalMs = intervalMs;
  }

  @Override
  public void addRoom(long roomId, long nowMs) {
    rates.putIfAbsent(roomId, new RateEstimator(Double.POSITIVE_INFINITY));
  }

  @Override
  public void removeRoom(long roomId) {
    rates.remove(roomId);
  }

  @Override
  public void observe(long roomId, long nowMs, PollObservation observation) {
    RateEstimator rate = rates.get(roomId);
    if (rate != null) {
      rate.observe(nowMs, observation);
    }
  }

  @Override
  public void rebalance(double pollsPerSecond, long nowMs) {
    // A fixed interval ignores the budget by definition; the scheduler enforces it.
  }

  @Override
  public long intervalMs(long roomId) {
    return intervalMs;
  }

  @Override
  public double estimatedRatePerSecond(long roomId) {
    RateEstimator rate = rates.get(roomId);
    return rate == null ? 0 : rate.ratePerSecond();
  }
}
