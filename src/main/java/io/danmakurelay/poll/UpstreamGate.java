package io.danmakurelay.poll;

/**
 * The one request budget of this relay's IP (SPEC §3): every HTTP request to the upstream — polls,
 * {@code room_init}, {@code getDanmuInfo}, {@code nav}, every video request — takes a token here first, and
 * risk control met by any of them pauses them all. Wraps the {@link RequestBudget} and the caller-wide
 * {@link RiskControlBackoff}; thread-safe, because the poll loop, the push connections and the video reader each
 * run on their own event loop but share one IP.
 *
 * <p>Protocol: take a token with {@link #tryAcquire} right before sending, and call {@link #onExchangeEnded} once
 * when that request's exchange is over (answer read, failure, timeout). The budget holds as the upstream counts
 * it — in any sliding second at most {@code requestsPerSecond} requests arrive there, however the sending
 * machine delays or bunches them — because a token is granted only while fewer than that many requests are
 * in flight or ended within the last second ({@link InFlightWindow} has the proof). On top, grants stay
 * about 1/rate apart ({@link RequestBudget}) so the requests that do leave are spread out.
 */
public final class UpstreamGate {

  private final double requestsPerSecond;
  private final RequestBudget budget;
  private final RiskControlBackoff riskControl;
  private final InFlightWindow inFlight;
  /** Callers queued ahead of the others ({@link #waitingAhead}); while any waits, {@link #tryAcquire} yields. */
  private int waitingAhead;

  /** A grant never reported ended counts as in flight for this long by default (see {@link InFlightWindow}). */
  public static final long DEFAULT_MAX_REQUEST_MS = 60_000;

  public UpstreamGate(double requestsPerSecond, long backoffInitialMs, long backoffMaxMs) {
    this(requestsPerSecond, backoffInitialMs, backoffMaxMs, DEFAULT_MAX_REQUEST_MS);
  }

  /**
   * @param maxRequestMs longer than any request can last (the request timeout and then some): a grant whose end
   *     is never reported is taken as ended this long after it was granted
   */
  public UpstreamGate(double requestsPerSecond, long backoffInitialMs, long backoffMaxMs, long maxRequestMs) {
    this.requestsPerSecond = requestsPerSecond;
    this.budget = new RequestBudget(requestsPerSecond);
    this.riskControl = new RiskControlBackoff(backoffInitialMs, backoffMaxMs);
    this.inFlight = new InFlightWindow(budget.perWindow(), maxRequestMs);
  }

  /**
   * Spends one token at {@code nowMs} if one is available (never during a risk-control pause). Each grant must
   * be followed by one {@link #onExchangeEnded} when its request is over.
   */
  public synchronized boolean tryAcquire(long nowMs) {
    return waitingAhead == 0 && grant(nowMs);
  }

  /**
   * {@link #tryAcquire} for a caller that goes ahead of the others: the push stream's connection requests,
   * which must not wait behind polls and {@code room_init}s (1,000 rooms connecting would otherwise take
   * every token only after the poll loop, which is woken by each answer, has taken its own).
   */
  public synchronized boolean tryAcquireAhead(long nowMs) {
    return grant(nowMs);
  }

  /**
   * A caller of {@link #tryAcquireAhead} starts ({@code true}) or stops ({@code false}) waiting; while one waits,
   * {@link #tryAcquire} grants nothing. The waiter must ask again at {@link #nextTokenAtMs}, so that no token
   * goes unused while the others yield to it.
   */
  public synchronized void waitingAhead(boolean waits) {
    waitingAhead = Math.max(0, waitingAhead + (waits ? 1 : -1));
  }

  private boolean grant(long nowMs) {
    if (riskControl.paused(nowMs) || !inFlight.hasRoom(nowMs)) {
      return false;
    }
    if (!budget.tryAcquire(nowMs, effectiveRate(nowMs))) {
      return false;
    }
    inFlight.granted(nowMs);
    return true;
  }

  /**
   * The exchange of a granted request is over at {@code nowMs}: its answer was read, it failed, or it was given
   * up on (timeout). Call it exactly once per grant, whatever the outcome, after the last byte was read.
   */
  public synchronized void onExchangeEnded(long nowMs) {
    inFlight.ended(nowMs);
  }

  /**
   * The earliest instant (>= nowMs) at which {@link #tryAcquire} can succeed (while it waits for requests
   * still out, possibly later: ask again then).
   */
  public synchronized long nextTokenAtMs(long nowMs) {
    long notBefore = riskControl.paused(nowMs) ? riskControl.pauseUntil() : nowMs;
    return Math.max(notBefore, Math.max(budget.nextAvailableAt(nowMs), inFlight.nextRoomAt(nowMs)));
  }

  /** Granted requests whose exchange has not ended. */
  public synchronized int inFlight() {
    return inFlight.open();
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

  /**
   * Requests per second that can actually be granted at {@code nowMs}: {@link #effectiveRate} less what the
   * in-flight window holds back for round trips (47.6/s of 50 at 50 ms). A plan that divides this instead of the
   * nominal rate is not stretched by the wait for tokens.
   */
  public synchronized double sustainableRate(long nowMs) {
    return effectiveRate(nowMs) * inFlight.sustainableShare();
  }

  public double requestsPerSecond() {
    return requestsPerSecond;
  }

  /** Moves the pause by {@code deltaMs} when the caller's wall clock was stepped back. */
  synchronized void shift(long deltaMs) {
    riskControl.shift(deltaMs);
  }
}
