package io.danmakurelay.poll;

/**
 * The one request budget of this relay's IP (SPEC §3): every HTTP request to the upstream — polls,
 * {@code room_init}, {@code getDanmuInfo}, {@code nav}, every video request — takes a token here first, and
 * risk control met by any of them pauses them all. Wraps the {@link RequestBudget} and the caller-wide
 * {@link RiskControlBackoff}; thread-safe, because the poll loop, the push connections and the video reader each
 * run on their own event loop but share one IP.
 */
public final class UpstreamGate {

  private final double requestsPerSecond;
  private final RequestBudget budget;
  private final RiskControlBackoff riskControl;

  public UpstreamGate(double requestsPerSecond, long backoffInitialMs, long backoffMaxMs) {
    this.requestsPerSecond = requestsPerSecond;
    this.budget = new RequestBudget(requestsPerSecond);
    this.riskControl = new RiskControlBackoff(backoffInitialMs, backoffMaxMs);
  }

  /** Spends one token at {@code nowMs} if one is available (never during a risk-control pause). */
  public synchronized boolean tryAcquire(long nowMs) {
    if (riskControl.paused(nowMs)) {
      return false;
    }
    return budget.tryAcquire(nowMs, effectiveRate(nowMs));
  }

  /** The earliest instant (>= nowMs) at which {@link #tryAcquire} can succeed. */
  public synchronized long nextTokenAtMs(long nowMs) {
    long notBefore = riskControl.paused(nowMs) ? riskControl.pauseUntil() : nowMs;
    return Math.max(notBefore, budget.nextAvailableAt(nowMs));
  }

  /**
   * A request sent at {@code sentAtMs} met risk control (HTTP 412, -412, -352 on a poll, an IP-wide push
   * refusal): every request pauses. Answers to requests sent before the pause began belong to it.
   */
  public synchronized void onRiskControl(long nowMs, long sentAtMs) {
    riskControl.onRiskControl(nowMs, sentAtMs);
  }

  /** A request succeeded: a streak of bans is slowly forgotten. */
  public synchronized void onSuccess(long nowMs) {
    riskControl.onSuccess(nowMs);
  }

  public synchronized boolean paused(long nowMs) {
    return riskControl.paused(nowMs);
  }

  /** Until when every request waits (meaningful while {@link #paused}). */
  public synchronized long pauseUntil() {
    return riskControl.pauseUntil();
  }

  /** Until when every request waits because of risk control, or 0 when none does at {@code nowMs}. */
  public synchronized long riskControlUntilMs(long nowMs) {
    return riskControl.paused(nowMs) ? riskControl.pauseUntil() : 0;
  }

  /** The share of the configured budget usable at {@code nowMs}: 0 in a pause, below 1 while recovering. */
  public synchronized double budgetShare(long nowMs) {
    return riskControl.budgetShare(nowMs);
  }

  /** Requests per second usable at {@code nowMs}. */
  public synchronized double effectiveRate(long nowMs) {
    return requestsPerSecond * riskControl.budgetShare(nowMs);
  }

  public double requestsPerSecond() {
    return requestsPerSecond;
  }

  /** Moves the pause by {@code deltaMs} when the caller's wall clock was stepped back. */
  synchronized void shift(long deltaMs) {
    riskControl.shift(deltaMs);
  }
}
