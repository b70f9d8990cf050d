package io.danmakurelay.video;

/**
 * When to read a part's pool again: often enough that the pool cannot turn over between two reads, seldom
 * when nothing new arrives. Aims at a quarter of {@code maxlimit} new danmaku per read (so a burst of up to
 * four times the measured rate is still caught), from a smoothed rate of new danmaku, bounded by
 * {@code video.minIntervalMs} and {@code video.maxIntervalMs}; a gap reads again at the floor. Pure.
 */
public final class ReadSchedule {

  /** The share of a pool one interval should fill at the measured rate. */
  static final double TARGET_SHARE = 0.25;
  /** Weight of the newest measurement in the smoothed rate. */
  static final double SMOOTHING = 0.5;
  /** Assumed pool size when a pool names no {@code maxlimit}. */
  static final int DEFAULT_POOL = 1000;

  private final long minIntervalMs;
  private final long maxIntervalMs;
  private long intervalMs;
  private long lastReadAtMs;
  private long nextReadAtMs;
  private double ratePerMs = -1;

  public ReadSchedule(long minIntervalMs, long maxIntervalMs, long firstReadAtMs) {
    if (minIntervalMs <= 0 || maxIntervalMs < minIntervalMs) {
      throw new IllegalArgumentException("video.minIntervalMs must be positive and <= video.maxIntervalMs");
    }
    this.minIntervalMs = minIntervalMs;
    this.maxIntervalMs = maxIntervalMs;
    this.intervalMs = minIntervalMs;
    this.nextReadAtMs = firstReadAtMs;
  }

  /** A read at {@code nowMs} found {@code fresh} new danmaku in a pool of {@code maxLimit}. */
  public void onRead(long nowMs, int fresh, int maxLimit, boolean gap) {
    if (lastReadAtMs > 0 && nowMs > lastReadAtMs) {
      double measured = fresh / (double) (nowMs - lastReadAtMs);
      ratePerMs = ratePerMs < 0 ? measured : SMOOTHING * measured + (1 - SMOOTHING) * ratePerMs;
    }
    double target = Math.max(1, (maxLimit > 0 ? maxLimit : DEFAULT_POOL) * TARGET_SHARE);
    if (gap) {
      intervalMs = minIntervalMs;
    } else if (ratePerMs > 0) {
      intervalMs = clamp((long) Math.min(Long.MAX_VALUE / 4, target / ratePerMs));
    } else if (ratePerMs == 0) {
      intervalMs = clamp(intervalMs * 2);
    }
    lastReadAtMs = nowMs;
    nextReadAtMs = nowMs + intervalMs;
  }

  /** A read failed; try again after {@code delayMs} (the caller's backoff), the interval unchanged. */
  public void onFailure(long nowMs, long delayMs) {
    nextReadAtMs = nowMs + Math.max(1, delayMs);
  }

  private long clamp(long value) {
    return Math.max(minIntervalMs, Math.min(maxIntervalMs, value));
  }

  public long intervalMs() {
    return intervalMs;
  }

  public long lastReadAtMs() {
    return lastReadAtMs;
  }

  public long nextReadAtMs() {
    return nextReadAtMs;
  }

  /** New danmaku per second as measured, 0 before two reads. */
  public double ratePerSecond() {
    return ratePerMs < 0 ? 0 : ratePerMs * 1000;
  }
}
