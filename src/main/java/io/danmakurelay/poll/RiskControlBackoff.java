package io.danmakurelay.poll;

/**
 * The caller-wide reaction to risk control (HTTP 412, -412, -352): the ban is per caller, so every request
 * pauses; the pause grows exponentially with repeated bans, then the budget resumes halved and climbs back.
 */
final class RiskControlBackoff {

  /** The first pause is this many backoff.initialMs: a ban is rarely lifted within one retry delay. */
  static final int FIRST_PAUSE_FACTOR = 5;
  /** After each pause the budget share is halved (multiplicatively, down to this floor)... */
  static final double MIN_BUDGET_SHARE = 1.0 / 8;
  /** ...and regains the whole budget linearly over this long: AIMD, like TCP, finds a limit we cannot see. */
  static final long FULL_RECOVERY_MS = 120_000;
  /** A streak of bans forgets one ban per this long of successful polling. */
  static final long STREAK_DECAY_MS = 60_000;

  private final long initialMs;
  private final long maxMs;
  private long pauseStartedAt = Long.MIN_VALUE;
  private long pauseUntil;
  private int streak;
  private long lastStreakChangeAt;
  private double shareAtResume = 1.0;

  RiskControlBackoff(long backoffInitialMs, long backoffMaxMs) {
    this.initialMs = backoffInitialMs;
    this.maxMs = backoffMaxMs;
  }

  /**
   * A request sent at {@code sentAtMs} met risk control. Requests already in flight when a pause began
   * answer with the same ban, as does anything reported during the pause: they belong to that event and
   * must not lengthen it.
   */
  void onRiskControl(long nowMs, long sentAtMs) {
    if (paused(nowMs) || (pauseStartedAt != Long.MIN_VALUE && sentAtMs < pauseStartedAt)) {
      return;
    }
    double shareNow = budgetShare(nowMs);
    streak++;
    pauseStartedAt = nowMs;
    pauseUntil = nowMs + pauseMs(streak);
    lastStreakChangeAt = pauseUntil;
    shareAtResume = Math.max(MIN_BUDGET_SHARE, shareNow / 2);
  }

  /** {@code min(maxMs, initialMs * FIRST_PAUSE_FACTOR * 2^(streak-1))}. */
  long pauseMs(int streakLength) {
    double pause = (double) initialMs * FIRST_PAUSE_FACTOR * Math.pow(2, Math.max(0, streakLength - 1));
    return (long) Math.min(maxMs, pause);
  }

  /** Moves every stored instant by {@code deltaMs}, when the caller's clock was stepped. */
  void shift(long deltaMs) {
    if (pauseStartedAt != Long.MIN_VALUE) {
      pauseStartedAt += deltaMs;
      pauseUntil += deltaMs;
      lastStreakChangeAt += deltaMs;
    }
  }

  void onSuccess(long nowMs) {
    if (streak > 0 && nowMs >= pauseUntil && nowMs - lastStreakChangeAt >= STREAK_DECAY_MS) {
      streak--;
      lastStreakChangeAt = nowMs;
    }
  }

  boolean paused(long nowMs) {
    return nowMs < pauseUntil;
  }

  long pauseUntil() {
    return pauseUntil;
  }

  int streak() {
    return streak;
  }

  /** The fraction of the configured budget usable now: 0 while paused, then from the halved share up to 1. */
  double budgetShare(long nowMs) {
    if (paused(nowMs)) {
      return 0;
    }
    if (pauseStartedAt == Long.MIN_VALUE) {
      return 1.0;
    }
    double recovered = (double) (nowMs - pauseUntil) / FULL_RECOVERY_MS;
    return Math.min(1.0, shareAtResume + recovered);
  }
}
