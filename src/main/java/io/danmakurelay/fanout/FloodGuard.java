package io.danmakurelay.fanout;

/**
 * A token bucket over one client's incoming frames: a burst is allowed, then a steady rate. Takes the
 * time from its caller so it can be tested without a clock.
 */
final class FloodGuard {
  private final double ratePerNano;
  private final double capacity;
  private double tokens;
  private long lastNanos;

  FloodGuard(int framesPerSecond, int burst, long nowNanos) {
    this.ratePerNano = framesPerSecond / 1e9;
    this.capacity = burst;
    this.tokens = burst;
    this.lastNanos = nowNanos;
  }

  /** Takes one frame's token; false when the client is over its rate. */
  boolean tryAcquire(long nowNanos) {
    long elapsed = Math.max(0, nowNanos - lastNanos);
    lastNanos = nowNanos;
    tokens = Math.min(capacity, tokens + elapsed * ratePerNano);
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
