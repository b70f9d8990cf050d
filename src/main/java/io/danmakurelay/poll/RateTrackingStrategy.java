package io.danmakurelay.poll;

import java.util.HashMap;
import java.util.Map;

/**
 * What every strategy shares: one {@link RateEstimator} per followed room, fed by each successful poll, so
 * the rate shown by /api/rooms means the same whichever strategy decides the intervals.
 */
abstract class RateTrackingStrategy implements PollStrategy {

  protected final Map<Long, RateEstimator> rooms = new HashMap<>();

  /** The estimator a newly followed room starts with. */
  protected abstract RateEstimator newEstimator();

  @Override
  public void addRoom(long roomId, long nowMs) {
    rooms.putIfAbsent(roomId, newEstimator());
  }

  @Override
  public void removeRoom(long roomId) {
    rooms.remove(roomId);
  }

  @Override
  public void observe(long roomId, long nowMs, PollObservation observation) {
    RateEstimator rate = rooms.get(roomId);
    if (rate != null) {
      rate.observe(nowMs, observation);
    }
  }

  @Override
  public double estimatedRatePerSecond(long roomId) {
    RateEstimator rate = rooms.get(roomId);
    return rate == null ? 0 : rate.ratePerSecond();
  }
}
