package io.danmakurelay.push;

import java.util.Set;

/**
 * Which lost connections come back at once. The reconnect delay ({@link ReconnectDelay}) is a back-off between
 * failed attempts, as in gRPC's connection back-off: a room whose healthy connection dropped tries again at
 * once, and only a failed attempt starts the jittered exponential delay. Healthy: see {@link #healthy}. Immediate
 * attempts of all rooms share one token bucket; a room that finds none waits the jittered delay. Pure: times are
 * given.
 */
final class ImmediateReconnects {

  /**
   * A connection must have been authenticated this long to count as healthy. A server that accepts the auth and
   * then drops the socket within seconds (one shedding connections, throttling a token) would otherwise be
   * reconnected to in a loop; 5 s caps that at one immediate attempt per room per 5 s even before the bucket, and
   * stays far below the life of a real connection (hours) and of the simulator's (30-60 s in the benchmark). It is
   * shorter than a heartbeat interval (30 s), so a connection needs no heartbeat reply to count.
   */
  static final long HEALTHY_AFTER_MS = 5_000;
  /**
   * Immediate attempts at once and per second, over all rooms. A mass drop (the upstream restarts and closes every
   * socket) then opens at most this many sockets in the same instant; the rest come back over the jittered delay
   * (500-1,000 ms at the default {@code push.reconnectInitialMs}), as every room did before. The rate must stay
   * above the relay's steady rate of healthy drops, or rooms would miss tokens in normal operation: 1,000 rooms
   * whose connections each live 30-60 s (the simulator's harshest benchmark) drop 22 a second. An attempt reuses
   * the room's token and takes nothing of the request budget (no HTTP request to the API).
   */
  static final int BURST = 50;
  static final double PER_SECOND = 50;
  /**
   * The losses that may be retried at once: the server closed the socket or the connection broke ({@code closed}),
   * or heartbeat replies stopped. Every other reason waits: a refused token or auth, an auth that timed out,
   * a refused connect or IP (those are failed attempts, never a healthy connection), and malformed input (a
   * broken stream is not to be hammered).
   */
  static final Set<String> IMMEDIATE_REASONS = Set.of("closed", "heartbeat_timeout");

  private final long healthyAfterMs;
  private final int burst;
  private final double perSecond;
  private double tokens;
  private long refilledAt = Long.MIN_VALUE;

  ImmediateReconnects(long healthyAfterMs, int burst, double perSecond) {
    if (healthyAfterMs < 0 || burst < 0 || !(perSecond >= 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("need healthyAfterMs >= 0, burst >= 0 and a finite perSecond >= 0, got "
          + healthyAfterMs + ", " + burst + ", " + perSecond);
    }
    this.healthyAfterMs = healthyAfterMs;
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = burst;
  }

  static ImmediateReconnects defaults() {
    return new ImmediateReconnects(HEALTHY_AFTER_MS, BURST, PER_SECOND);
  }

  /**
   * Whether a connection authenticated at {@code authedAtMs} and lost at {@code lostAtMs} for {@code reason} (a
   * reconnect label) was healthy, so that its room may try again at once.
   */
  boolean healthy(String reason, long authedAtMs, long lostAtMs) {
    return IMMEDIATE_REASONS.contains(reason) && lostAtMs - authedAtMs >= healthyAfterMs;
  }

  /** Takes a token for an immediate attempt at {@code nowMs}, if one is left. */
  boolean tryTake(long nowMs) {
    refill(nowMs);
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** The whole tokens left at {@code nowMs}. */
  int available(long nowMs) {
    refill(nowMs);
    return (int) Math.floor(tokens);
  }

  private void refill(long nowMs) {
    if (refilledAt != Long.MIN_VALUE && nowMs > refilledAt) {
      tokens = Math.min(burst, tokens + (nowMs - refilledAt) * perSecond / 1000.0);
    }
    // A clock stepped back (NTP) refills nothing and takes nothing: the bucket goes on from the new time.
    refilledAt = nowMs;
  }
}
