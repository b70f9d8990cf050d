package io.danmakurelay.poll;

/**
 * Decides each room's poll interval. The scheduler owns time, budget, backoff and fairness; a strategy
 * only says how often each room deserves a poll, from what the polls showed and the budget it may spend.
 */
public interface PollStrategy {

  void addRoom(long roomId, long nowMs);

  void removeRoom(long roomId);

  /** A successful poll of the room answered at {@code nowMs}. */
  void observe(long roomId, long nowMs, PollObservation observation);

  /**
   * The polls per second the rooms may share from now on (the budget, reduced after risk control). Called
   * about once a second and whenever rooms come or go, so a strategy can re-divide the budget.
   */
  void rebalance(double pollsPerSecond, long nowMs);

  /** How long after its last poll the room is due again. */
  long intervalMs(long roomId);

  /** Messages per second the room is believed to receive (0 when unknown or not estimated). */
  double estimatedRatePerSecond(long roomId);

  /**
   * The share of its interval after which a room may be polled early, when no room is due and a budget token
   * would otherwise go unused. 1 (the default) never polls early: the interval is a promise, as in fixed.
   */
  default double earlyPollShare() {
    return 1.0;
  }
}
