package io.danmakurelay.sim;

/**
 * The upstream's IP risk control: counts requests in a sliding one-second window and, when a request
 * finds more than {@code rateLimit} of them there (itself included), bans every request for
 * {@code banSeconds}. Requests refused during a ban still count, as they do for the real thing, so a
 * client that keeps hammering stays banned. Pure and thread-safe; time is passed in.
 */
public final class RateLimitBan {

  private static final long WINDOW_MS = 1_000;

  private final double rateLimit;
  private final int banSeconds;
  private long[] arrivals = new long[1024];
  private int head;
  private int size;
  private long lastArrivalMs = Long.MIN_VALUE;
  private long bannedUntilMs = Long.MIN_VALUE;
  private long total;
  private long rejected;
  private long bans;
  private int maxInWindow;

  public RateLimitBan(double rateLimit, int banSeconds) {
    this.rateLimit = rateLimit;
    this.banSeconds = banSeconds;
  }

  /** Records a request arriving at {@code nowMs}; false means it is refused (HTTP 412). */
  public synchronized boolean admit(long nowMs) {
    // Handlers on two event loops read the clock before taking the lock; keep arrivals in order.
    nowMs = Math.max(nowMs, lastArrivalMs);
    lastArrivalMs = nowMs;
    total++;
    record(nowMs);
    if (nowMs < bannedUntilMs) {
      rejected++;
      return false;
    }
    if (rateLimit > 0 && size > rateLimit) {
      startBan(nowMs, banSeconds);
      rejected++;
      return false;
    }
    return true;
  }

  /** Bans from now for {@code seconds}, replacing any current ban (0 lifts it). */
  public synchronized void ban(long nowMs, int seconds) {
    bans++;
    bannedUntilMs = nowMs + seconds * 1000L;
  }

  public synchronized boolean banned(long nowMs) {
    return nowMs < bannedUntilMs;
  }

  /** Epoch ms at which the current (or last) ban ends; {@link Long#MIN_VALUE} when none ever started. */
  public synchronized long bannedUntilMs() {
    return bannedUntilMs;
  }

  public synchronized long total() {
    return total;
  }

  public synchronized long rejected() {
    return rejected;
  }

  public synchronized long bans() {
    return bans;
  }

  /** The most requests seen in any one-second window so far. */
  public synchronized int maxInWindow() {
    return maxInWindow;
  }

  public double rateLimit() {
    return rateLimit;
  }

  public int banSeconds() {
    return banSeconds;
  }

  private void startBan(long nowMs, int seconds) {
    bans++;
    bannedUntilMs = Math.max(bannedUntilMs, nowMs + seconds * 1000L);
  }

  private void record(long nowMs) {
    while (size > 0 && arrivals[head] <= nowMs - WINDOW_MS) {
      head = (head + 1) % arrivals.length;
      size--;
    }
    if (size == arrivals.length) {
      long[] bigger = new long[arrivals.length * 2];
      for (int i = 0; i < size; i++) {
        bigger[i] = arrivals[(head + i) % arrivals.length];
      }
      arrivals = bigger;
      head = 0;
    }
    arrivals[(head + size) % arrivals.length] = nowMs;
    size++;
    maxInWindow = Math.max(maxInWindow, size);
  }
}
