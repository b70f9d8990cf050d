package io.danmakurelay.poll;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * What makes the budget hold <em>at the upstream</em>, not only on our own clock. A request reaches the
 * upstream at some instant between the moment it was granted and the moment its exchange ended (the answer
 * came, or we gave up on it), and neither end is known more precisely: a connection still being set up, a
 * pooled connection busy, a loaded event loop, the network or the upstream's own event loop can each move the
 * arrival anywhere in that interval, and several arrivals can bunch. Spacing grants 1/rate apart on our clock
 * therefore does not bound what the upstream counts in a sliding second.
 *
 * <p>This window does, by construction: a request is granted at {@code t} only while fewer than
 * {@code perWindow} requests are still in flight or ended after {@code t - 1000 ms}. Proof: were
 * {@code perWindow + 1} arrivals inside one upstream second {@code (x - 1000, x]}, take the one granted last,
 * at {@code t <= x}; each of the others arrived after {@code x - 1000 >= t - 1000}, so at {@code t} it was in
 * flight or had ended after {@code t - 1000}: {@code perWindow} of them, and the grant would have been refused.
 * This needs no margin and no guess about delays; the price is that each request holds its slot for its
 * round trip as well as one second, so the usable rate is {@code perWindow / (1 s + round trip)} (49.8/s for
 * 50/s at 5 ms, 47.6/s at 50 ms). A connection set-up or a wait for a pooled connection only lengthens that
 * request's own round trip; it can never make the upstream see more.
 *
 * <p>Every grant must be ended by {@link #ended}. A grant never ended (a caller that lost its callback) is
 * taken as ended {@code maxRequestMs} after it was granted (longer than any request's timeout), so a leak
 * slows the budget down for a while but cannot stop it. Ends are matched to the oldest grant still open:
 * which request ended does not matter for the count, and the grants left open are then the later ones, whose
 * assumed ends are later: never fewer counted than in truth. Pure and not thread-safe: {@link UpstreamGate}
 * holds its lock around it. Time is epoch ms, passed in.
 */
final class InFlightWindow {

  static final long WINDOW_MS = 1000;

  private final int perWindow;
  private final long maxRequestMs;
  /** Grant instants of requests not ended yet, oldest first. */
  private final ArrayDeque<Long> open = new ArrayDeque<>();
  /** End instants within the last second, in order. */
  private final ArrayDeque<Long> ended = new ArrayDeque<>();
  private long lastSeenMs = Long.MIN_VALUE;
  /** Grants taken as ended after maxRequestMs whose real end has not been reported. */
  private int takenAsEnded;
  /** A moving mean of grant-to-end times (ms), NaN before the first end. */
  private double meanRoundTripMs = Double.NaN;
  /** Weight of the newest round trip in {@link #meanRoundTripMs}: about the last 50 requests. */
  static final double ROUND_TRIP_WEIGHT = 0.02;

  InFlightWindow(int perWindow, long maxRequestMs) {
    if (perWindow < 1 || maxRequestMs < 1) {
      throw new IllegalArgumentException("perWindow and maxRequestMs must be positive");
    }
    this.perWindow = perWindow;
    this.maxRequestMs = maxRequestMs;
  }

  /** Whether a request may be granted at {@code nowMs}. */
  boolean hasRoom(long nowMs) {
    advance(nowMs);
    return open.size() + ended.size() < perWindow;
  }

  /** Records a grant at {@code nowMs} (after {@link #hasRoom} said yes). */
  void granted(long nowMs) {
    advance(nowMs);
    open.addLast(nowMs);
  }

  /** A granted request's exchange ended at {@code nowMs}: answered, failed, or given up on. */
  void ended(long nowMs) {
    advance(nowMs);
    if (takenAsEnded > 0) {
      // Perhaps the late end of a grant already taken as ended: keep every open grant open (conservative).
      takenAsEnded--;
      return;
    }
    Long grantedAt = open.pollFirst();
    if (grantedAt != null) {
      addEnd(nowMs);
      // Matched to the oldest open grant, so a single round trip may be off; their mean is not.
      double roundTrip = Math.max(0, nowMs - grantedAt);
      meanRoundTripMs = Double.isNaN(meanRoundTripMs) ? roundTrip
          : meanRoundTripMs + ROUND_TRIP_WEIGHT * (roundTrip - meanRoundTripMs);
    }
  }

  /**
   * The share of {@code perWindow} per second that requests can actually take: each holds its slot for its round
   * trip and a second after, so {@code 1000 / (1000 + mean round trip)} (1 before any request ended).
   */
  double sustainableShare() {
    return Double.isNaN(meanRoundTripMs) ? 1.0 : WINDOW_MS / (WINDOW_MS + meanRoundTripMs);
  }

  /**
   * The earliest instant at which {@link #hasRoom} can turn true. When slots are held by requests still out,
   * that is at least a second from now (a request holds its slot for a second after it ends), and later if
   * their answers take longer: the caller asks again then.
   */
  long nextRoomAt(long nowMs) {
    advance(nowMs);
    int excess = open.size() + ended.size() - perWindow + 1;
    if (excess <= 0) {
      return nowMs;
    }
    if (excess > ended.size()) {
      return nowMs + WINDOW_MS;
    }
    Iterator<Long> it = ended.iterator();
    long at = nowMs;
    for (int i = 0; i < excess; i++) {
      at = it.next();
    }
    return at + WINDOW_MS;
  }

  int open() {
    return open.size();
  }

  private void addEnd(long atMs) {
    Long last = ended.peekLast();
    // Ends are kept in order; a later instant only counts the end longer (conservative).
    ended.addLast(last == null ? atMs : Math.max(last, atMs));
  }

  private void advance(long nowMs) {
    if (lastSeenMs != Long.MIN_VALUE && nowMs < lastSeenMs - WINDOW_MS) {
      // The wall clock was stepped back (NTP): move every instant with it, or nothing would expire for as long.
      long shift = nowMs - lastSeenMs;
      shiftAll(open, shift);
      shiftAll(ended, shift);
      lastSeenMs = nowMs;
    }
    lastSeenMs = Math.max(lastSeenMs, nowMs);
    while (!open.isEmpty() && open.peekFirst() + maxRequestMs <= nowMs) {
      addEnd(open.pollFirst() + maxRequestMs);
      takenAsEnded++;
    }
    while (!ended.isEmpty() && ended.peekFirst() <= nowMs - WINDOW_MS) {
      ended.pollFirst();
    }
  }

  private static void shiftAll(ArrayDeque<Long> instants, long shift) {
    int n = instants.size();
    for (int i = 0; i < n; i++) {
      instants.addLast(instants.pollFirst() + shift);
    }
  }
}
