package io.danmakurelay.poll;

import io.danmakurelay.upstream.FailureKind;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides which room to poll when: the global request budget, per-room intervals from the strategy,
 * per-room backoff and the caller-wide risk-control pause. Pure logic: time is always passed in.
 * API STUB - to be implemented.
 */
public final class PollScheduler {

  public PollScheduler(SchedulerSettings settings, RandomGenerator random) {
    throw new UnsupportedOperationException("stub");
  }

  /** Follows a (real) room id; it is due at once. Adding a followed room does nothing. */
  public void addRoom(long roomId, long nowMs) {
    throw new UnsupportedOperationException("stub");
  }

  /** Stops following a room; returns whether it was followed. */
  public boolean removeRoom(long roomId) {
    throw new UnsupportedOperationException("stub");
  }

  /** The room does not exist upstream: it stays listed as invalid and is never polled again. */
  public void markInvalid(long roomId) {
    throw new UnsupportedOperationException("stub");
  }

  /** What to do at {@code nowMs}; a {@link Decision.PollNow} spends one budget token. */
  public Decision next(long nowMs) {
    throw new UnsupportedOperationException("stub");
  }

  /** Spends one budget token for a request that is not a poll (room_init), if one is available now. */
  public boolean tryAcquire(long nowMs) {
    throw new UnsupportedOperationException("stub");
  }

  /** The earliest instant at which a budget token is available. */
  public long nextTokenAtMs(long nowMs) {
    throw new UnsupportedOperationException("stub");
  }

  public void onSuccess(long roomId, long nowMs, PollObservation observation) {
    throw new UnsupportedOperationException("stub");
  }

  public void onFailure(long roomId, long nowMs, FailureKind kind) {
    throw new UnsupportedOperationException("stub");
  }

  /** Until when every room waits because of risk control (0 when not under risk control). */
  public long riskControlUntilMs() {
    throw new UnsupportedOperationException("stub");
  }

  public Optional<RoomSchedule> room(long roomId, long nowMs) {
    throw new UnsupportedOperationException("stub");
  }

  public List<RoomSchedule> rooms(long nowMs) {
    throw new UnsupportedOperationException("stub");
  }
}
