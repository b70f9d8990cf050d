package io.danmakurelay.poll;

/**
 * One room's rate of published messages (whichever source published them), as an exponentially decayed
 * count over a time constant of {@link #TAU_MS}: what {@code /api/rooms} shows for a room the schedule does
 * not estimate (one push covers). A young series is scaled by the part of the time constant it has lived,
 * so a steady rate reads right from the first seconds. Thread-safe (commits come from the sink's thread).
 */
final class PublishedRate {

  static final double TAU_MS = 30_000;
  static final long FIRST_BATCH_MS = 1_000;

  private long firstAtMs = -1;
  private long lastAtMs;
  private double decayed;

  /** {@code messages} were published at {@code nowMs}. */
  synchronized void add(int messages, long nowMs) {
    if (firstAtMs < 0) {
      firstAtMs = nowMs;
      lastAtMs = nowMs;
    }
    decayed = decayed * decay(nowMs - lastAtMs) + messages;
    lastAtMs = Math.max(lastAtMs, nowMs);
  }

  /** Messages per second around {@code nowMs}; 0 before the first publish. */
  synchronized double perSecond(long nowMs) {
    if (firstAtMs < 0) {
      return 0;
    }
    double now = decayed * decay(nowMs - lastAtMs);
    // The decayed count of a steady rate r after a time t is r * tau * (1 - e^(-t/tau)). The first batch
    // holds what came in the time before it, unknown: count it as the second before the first publish.
    double lived = TAU_MS * (1 - decay(Math.max(0, nowMs - firstAtMs) + FIRST_BATCH_MS));
    return now / lived * 1000;
  }

  private static double decay(long elapsedMs) {
    return Math.exp(-Math.max(0, elapsedMs) / TAU_MS);
  }
}
