package io.danmakurelay.poll;

import java.util.ArrayDeque;

/**
 * The global request budget: a token bucket of capacity 1 (requests 1/rate apart, a late caller's grant up to
 * {@link #TIMER_SLACK_MS} closer to the next) backed by a sliding one-second window, so that no one-second window
 * ever holds more than the configured rate.
 */
final class RequestBudget {

  private static final long WINDOW_MS = 1000;
  /**
   * How late a caller may be and still keep the schedule. A Vert.x timer fires after its delay, by a millisecond on
   * an idle machine and by several on a loaded one; each lateness beyond this slack is lost budget for good (in
   * the capture model with timers up to 3 ms late, a slack of 2 ms spent 94.0 of 100 requests/s, one of 5 ms 98.2).
   * Two grants may then be closer than 1/rate by up to this much; the sliding window still caps every second.
   */
  static final double TIMER_SLACK_MS = 5;

  private final int perWindow;
  private final ArrayDeque<Long> recentGrants = new ArrayDeque<>();
  /** When the next request may go at the current spacing (fractional ms, so spacing does not drift). */
  private double nextAllowedAt = Double.NEGATIVE_INFINITY;
  private long lastGrantAt = Long.MIN_VALUE;

  /**
   * Spacing alone lets a non-integer rate (2.5/s: requests at 0, 400, 800 ms) put ceil(rate) requests in one
   * second, so the window caps every second at floor(rate), and at one request for rates below 1.
   */
  RequestBudget(double maxPerSecond) {
    if (!(maxPerSecond > 0) || Double.isInfinite(maxPerSecond)) {
      throw new IllegalArgumentException("requestsPerSecond must be a positive number, got " + maxPerSecond);
    }
    this.perWindow = Math.max(1, (int) Math.floor(maxPerSecond + 1e-9));
  }

  /** The most grants in any one-second window. */
  int perWindow() {
    return perWindow;
  }

  /** Spends a token at {@code nowMs} if one is available at the given (possibly reduced) rate. */
  boolean tryAcquire(long nowMs, double ratePerSecond) {
    forgetFutureIfClockWentBack(nowMs);
    if (nextAvailableAt(nowMs) > nowMs) {
      return false;
    }
    // A caller a few milliseconds late (a timer fires after its due time, never before) keeps the schedule
    // instead of pushing every later request back by its lateness: otherwise a budget of 50/s yields ~48/s.
    // Any longer lateness (idle time) restarts the schedule from now, so there is never a burst.
    double base = nowMs - nextAllowedAt <= TIMER_SLACK_MS ? nextAllowedAt : nowMs;
    nextAllowedAt = base + 1000.0 / ratePerSecond;
    if (recentGrants.size() == perWindow) {
      recentGrants.pollFirst();
    }
    recentGrants.addLast(nowMs);
    lastGrantAt = nowMs;
    return true;
  }

  /** The earliest instant (>= nowMs) at which {@link #tryAcquire} can succeed. */
  long nextAvailableAt(long nowMs) {
    forgetFutureIfClockWentBack(nowMs);
    // Time is whole milliseconds: a token due within this millisecond is available now. Rounding up instead
    // would allow at most one request per millisecond, capping any budget above 1,000/s at about that.
    long bySpacing = (long) Math.floor(nextAllowedAt);
    long byWindow = recentGrants.size() < perWindow ? Long.MIN_VALUE : recentGrants.peekFirst() + WINDOW_MS;
    return Math.max(nowMs, Math.max(bySpacing, byWindow));
  }

  /**
   * A wall clock stepped back (NTP) would otherwise freeze every request until it caught up again; the
   * grants then lie in the future and are re-based to now, which still keeps them 1/rate apart.
   */
  private void forgetFutureIfClockWentBack(long nowMs) {
    if (lastGrantAt != Long.MIN_VALUE && nowMs < lastGrantAt - WINDOW_MS) {
      long shift = lastGrantAt - nowMs;
      ArrayDeque<Long> shifted = new ArrayDeque<>();
      for (long at : recentGrants) {
        shifted.addLast(at - shift);
      }
      recentGrants.clear();
      recentGrants.addAll(shifted);
      nextAllowedAt -= shift;
      lastGrantAt = nowMs;
    }
  }
}
