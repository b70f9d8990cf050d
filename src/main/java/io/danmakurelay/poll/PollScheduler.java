package io.danmakurelay.poll;

import io.danmakurelay.pipeline.BackoffPolicy;
import io.danmakurelay.upstream.FailureKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides which room to poll when: the global request budget, per-room intervals from the strategy,
 * per-room backoff and the caller-wide risk-control pause. Pure logic: time is always passed in (epoch ms),
 * randomness (backoff jitter) comes from the given generator. Not thread-safe: one event loop owns it.
 *
 * <p>Protocol: call {@link #next} whenever something may have changed (a timer fired, a poll was sent, an
 * answer arrived, a room was added); answer each {@link Decision.PollNow} with {@link #onSuccess} or
 * {@link #onFailure}, and every granted request (a PollNow or a {@link #tryAcquire}) with one
 * {@link #onExchangeEnded}. A room is not polled again while its request is in flight.
 */
public final class PollScheduler {

  /** The strategy is re-asked to divide the budget at least this often. */
  static final long REBALANCE_EVERY_MS = 1000;
  /** An answer that never came (a lost callback) frees its room after this long, longer than any timeout. */
  static final long IN_FLIGHT_LIMIT_MS = 60_000;

  /** A room this close to maxIntervalMs since its last poll goes before any other (see {@link #next}). */
  static final double URGENT_SHARE_OF_MAX_INTERVAL = 0.95;
  private static final double URGENT = 1e12;
  private static final double WATCHED = 1e14;
  private static final double AT_MIN_INTERVAL = 1e10;
  /** A clock going back by more than this is a step of the wall clock, not jitter (see {@link #see}). */
  static final long CLOCK_STEP_BACK_MS = 1000;
  /** The most lateness a poll passes on to the room's next due time. */
  static final long MAX_CATCH_UP_MS = 1000;

  private final SchedulerSettings settings;
  private final long urgentAfterMs;
  private final long watchedIntervalMs;
  private final RandomGenerator random;
  private final PollStrategy strategy;
  private final UpstreamGate gate;
  private final BackoffPolicy backoff;
  private final Map<Long, Room> rooms = new LinkedHashMap<>();
  private int invalidRooms;
  private boolean rebalanceNeeded = true;
  private long lastRebalanceAt;
  private long lastSeenMs;

  public PollScheduler(SchedulerSettings settings, RandomGenerator random) {
    this(settings, random, strategyFor(settings));
  }

  /** With a strategy of one's own (tests, experiments); the settings still give budget, bounds and backoff. */
  public PollScheduler(SchedulerSettings settings, RandomGenerator random, PollStrategy strategy) {
    this(settings, random, strategy,
        new UpstreamGate(settings.requestsPerSecond(), settings.backoffInitialMs(), settings.backoffMaxMs()));
  }

  /** Spending from a gate shared with the relay's other sources (one IP, one budget). */
  public PollScheduler(SchedulerSettings settings, RandomGenerator random, PollStrategy strategy, UpstreamGate gate) {
    if (settings.minIntervalMs() <= 0 || settings.maxIntervalMs() < settings.minIntervalMs()) {
      throw new IllegalArgumentException("poll.minIntervalMs must be positive and <= poll.maxIntervalMs");
    }
    this.settings = settings;
    this.urgentAfterMs = (long) (settings.maxIntervalMs() * URGENT_SHARE_OF_MAX_INTERVAL);
    this.watchedIntervalMs = watchedIntervalMs(settings);
    this.random = random;
    this.strategy = strategy;
    this.gate = gate;
    this.backoff = new BackoffPolicy(settings.backoffInitialMs(), settings.backoffMaxMs());
  }

  /**
   * How often a watched room is polled: a message written just after a poll waits one interval, plus the wait
   * for a token, the round trip and the way to the subscriber, so the interval keeps a third of
   * {@code watchedMaxDelayMs} for those. Never below minIntervalMs.
   */
  static long watchedIntervalMs(SchedulerSettings settings) {
    return Math.max(settings.minIntervalMs(), settings.watchedMaxDelayMs() * 2 / 3);
  }

  /**
   * Someone watches the room (a WebSocket subscriber) or no longer does. A watched room is polled at least
   * every {@link #watchedIntervalMs} and goes before every unwatched room that is merely due, so its polls are
   * paid for out of the same budget, taken from the rooms nobody watches; the strategy still gives it more
   * when its rate calls for it. Unknown rooms are ignored (the poll loop keeps the set and re-applies it).
   */
  public void setWatched(long roomId, boolean watched, long nowMs) {
    see(nowMs);
    Room room = rooms.get(roomId);
    if (room != null) {
      room.watched = watched;
    }
  }

  /** The strategy named by {@code poll.strategy}. */
  public static PollStrategy strategyFor(SchedulerSettings settings) {
    String name = settings.strategy() == null ? "adaptive" : settings.strategy().toLowerCase(Locale.ROOT);
    return switch (name) {
      case "adaptive" -> new AdaptiveStrategy(settings.intervalMs(), settings.minIntervalMs(), settings.maxIntervalMs());
      case "fixed" -> new FixedStrategy(settings.intervalMs());
      default -> throw new IllegalArgumentException(
          "poll.strategy must be \"adaptive\" or \"fixed\", got \"" + settings.strategy() + "\"");
    };
  }

  /** Follows a (real) room id; it is due at once. Adding a followed room does nothing. */
  public void addRoom(long roomId, long nowMs) {
    see(nowMs);
    if (rooms.containsKey(roomId)) {
      return;
    }
    strategy.addRoom(roomId, nowMs);
    Room room = new Room(roomId);
    room.intervalMs = strategy.intervalMs(roomId);
    // Anchored one interval back, the room is due now and queues behind rooms added before it.
    room.anchorMs = nowMs - room.intervalMs;
    rooms.put(roomId, room);
    rebalanceNeeded = true;
  }

  /** Stops following a room; returns whether it was followed. */
  public boolean removeRoom(long roomId) {
    Room room = rooms.remove(roomId);
    if (room == null) {
      return false;
    }
    if (room.state == RoomState.INVALID) {
      invalidRooms--;
    }
    strategy.removeRoom(roomId);
    rebalanceNeeded = true;
    return true;
  }

  /** The room does not exist upstream: it stays listed as invalid and is never polled again. */
  public void markInvalid(long roomId) {
    Room room = rooms.get(roomId);
    if (room == null || room.state == RoomState.INVALID) {
      return;
    }
    room.state = RoomState.INVALID;
    invalidRooms++;
    room.inFlight = false;
    room.backoffUntilMs = 0;
    strategy.removeRoom(roomId);
    rebalanceNeeded = true;
  }

  /**
   * What to do at {@code nowMs}; a {@link Decision.PollNow} spends one budget token. Among due rooms the most
   * overdue relative to its own interval goes first, (now - last poll) / interval: with equal intervals
   * that is the earliest due time (round-robin when the budget is short), and when rooms must wait for
   * tokens every room is stretched by the same factor, which keeps the strategy's proportions. No room
   * starves, as its ratio grows without bound, and a room nearing maxIntervalMs since its last poll goes first.
   * Ahead of the ratios go the rooms at minIntervalMs: the only ones whose wait is never made up.
   */
  public Decision next(long nowMs) {
    see(nowMs);
    if (!hasPollableRoom()) {
      return new Decision.Idle();
    }
    if (gate.paused(nowMs)) {
      return new Decision.WaitUntil(gate.pauseUntil());
    }
    maybeRebalance(nowMs);
    double earlyShare = Math.min(1.0, strategy.earlyPollShare());
    Room best = null;
    double bestPriority = Double.NEGATIVE_INFINITY;
    Room bestEarly = null;
    double bestEarlyRatio = Double.NEGATIVE_INFINITY;
    long earliest = Long.MAX_VALUE;
    for (Room room : rooms.values()) {
      if (room.state == RoomState.INVALID) {
        continue;
      }
      if (room.inFlight && nowMs - room.lastPollAtMs < IN_FLIGHT_LIMIT_MS) {
        earliest = Math.min(earliest, room.lastPollAtMs + IN_FLIGHT_LIMIT_MS);
        continue;
      }
      double ratio = (double) (nowMs - room.anchorMs) / room.intervalMs;
      long due = dueAtMs(room);
      if (due > nowMs) {
        long early = earlyAtMs(room, earlyShare);
        if (early <= nowMs) {
          if (ratio > bestEarlyRatio) {
            bestEarly = room;
            bestEarlyRatio = ratio;
          }
        } else {
          earliest = Math.min(earliest, early);
        }
        earliest = Math.min(earliest, due);
        continue;
      }
      double priority = ratio;
      if (room.watched && room.polled && nowMs - room.lastPollAtMs >= watchedIntervalMs) {
        // Someone waits for this room's messages: ahead of every unwatched room, even one nearing
        // maxIntervalMs (watched rooms are few; were they more than the budget, the unwatched ones would
        // wait longer, not the person watching), the longest waiting first.
        priority = WATCHED + (nowMs - room.lastPollAtMs);
      } else if (room.polled && nowMs - room.lastPollAtMs >= urgentAfterMs) {
        // About to exceed maxIntervalMs: ahead of every ratio, oldest first, so no quiet room is forgotten
        // even when busy rooms keep the budget saturated.
        priority = URGENT + (nowMs - room.lastPollAtMs);
      } else if (atMinInterval(room)) {
        // Its polls are minIntervalMs apart already, so a wait for a token is never made up: its next poll
        // cannot come sooner. Any other room's next interval counts from when it was due (see below), so its
        // wait costs it little; this one goes first (measured at the simulator, S2: the busiest room got
        // 9.1-9.4 polls/s of the 10 planned while it queued by ratio behind rooms a little more overdue).
        priority = AT_MIN_INTERVAL + ratio;
      }
      if (priority > bestPriority) {
        best = room;
        bestPriority = priority;
      }
    }
    if (best == null) {
      best = bestEarly;
    }
    if (best == null) {
      return new Decision.WaitUntil(earliest);
    }
    if (!gate.tryAcquire(nowMs)) {
      return new Decision.WaitUntil(gate.nextTokenAtMs(nowMs));
    }
    long wasDueAt = dueAtMs(best);
    best.inFlight = true;
    // The next interval counts from when this poll was due, not from when a token freed it: otherwise every
    // wait for a token (up to 1/rate) would lengthen a busy room's period, by 20% at 100 ms intervals. An
    // early poll (a spare token) likewise stands for the due one. But a room keeps at most a second of
    // lateness, so one far behind (back from backoff) does not catch up in a burst and rooms that were due
    // together (quiet rooms at their floor) spread out; a first poll anchors at now, so rooms added together
    // keep the spread their first round gave them. The maxInterval cap in dueAtMs bounds every gap.
    best.anchorMs = best.polled ? Math.max(wasDueAt, nowMs - Math.min(best.intervalMs, MAX_CATCH_UP_MS)) : nowMs;
    best.lastPollAtMs = nowMs;
    best.polled = true;
    return new Decision.PollNow(best.roomId);
  }

  /** Spends one budget token for a request that is not a poll (room_init), if one is available now. */
  public boolean tryAcquire(long nowMs) {
    see(nowMs);
    return gate.tryAcquire(nowMs);
  }

  /** A granted request (poll or not) is over: answered, failed or timed out. Once per grant. */
  public void onExchangeEnded(long nowMs) {
    see(nowMs);
    gate.onExchangeEnded(nowMs);
  }

  /** The earliest instant at which a budget token is available. */
  public long nextTokenAtMs(long nowMs) {
    see(nowMs);
    return gate.nextTokenAtMs(nowMs);
  }

  public void onSuccess(long roomId, long nowMs, PollObservation observation) {
    see(nowMs);
    gate.onSuccess(nowMs);
    Room room = rooms.get(roomId);
    if (room == null || room.state == RoomState.INVALID) {
      return;
    }
    room.inFlight = false;
    room.state = RoomState.POLLING;
    room.consecutiveFailures = 0;
    room.backoffUntilMs = 0;
    strategy.observe(roomId, nowMs, observation);
    room.intervalMs = strategy.intervalMs(roomId);
  }

  public void onFailure(long roomId, long nowMs, FailureKind kind) {
    see(nowMs);
    Room room = rooms.get(roomId);
    switch (kind) {
      case INVALID_ROOM -> markInvalid(roomId);
      case RISK_CONTROL -> {
        // The room is not at fault: it keeps its state and is due again when the pause ends.
        long sentAt = room != null && room.polled ? room.lastPollAtMs : nowMs;
        gate.onRiskControl(nowMs, sentAt);
        if (room != null) {
          room.inFlight = false;
        }
      }
      case RETRY -> {
        if (room == null || room.state == RoomState.INVALID) {
          return;
        }
        room.inFlight = false;
        room.consecutiveFailures++;
        room.state = RoomState.BACKOFF;
        room.backoffUntilMs = nowMs + backoff.delayMs(room.consecutiveFailures, random);
      }
    }
  }

  /** A non-poll request (room_init) met risk control: the same caller-wide pause as for a poll. */
  public void onRiskControl(long nowMs) {
    see(nowMs);
    gate.onRiskControl(nowMs, nowMs);
  }

  /** Until when every room waits because of risk control (0 when not under risk control). */
  public long riskControlUntilMs() {
    return gate.riskControlUntilMs(lastSeenMs);
  }

  /** The share of the configured budget usable at {@code nowMs}: 0 in a pause, below 1 while recovering. */
  public double budgetShare(long nowMs) {
    return gate.budgetShare(nowMs);
  }

  public Optional<RoomSchedule> room(long roomId, long nowMs) {
    Room room = rooms.get(roomId);
    return room == null ? Optional.empty() : Optional.of(view(room, nowMs));
  }

  /** Every followed room, invalid ones included, in the order they were added. */
  public List<RoomSchedule> rooms(long nowMs) {
    List<RoomSchedule> views = new ArrayList<>(rooms.size());
    for (Room room : rooms.values()) {
      views.add(view(room, nowMs));
    }
    return views;
  }

  private RoomSchedule view(Room room, long nowMs) {
    boolean invalid = room.state == RoomState.INVALID;
    long next = 0;
    if (!invalid) {
      next = dueAtMs(room);
      if (gate.paused(nowMs)) {
        next = Math.max(next, gate.pauseUntil());
      }
    }
    return new RoomSchedule(
        room.roomId,
        room.state,
        room.intervalMs,
        room.polled ? room.lastPollAtMs : 0,
        next,
        room.state == RoomState.BACKOFF ? room.backoffUntilMs : 0,
        room.consecutiveFailures,
        strategy.estimatedRatePerSecond(room.roomId));
  }

  /** Polled, and the strategy gives it the shortest interval there is: it cannot make up a late poll. */
  private boolean atMinInterval(Room room) {
    return room.polled && room.intervalMs <= settings.minIntervalMs();
  }

  /**
   * The room's interval after its last poll (or sooner, when maxIntervalMs nears), but never before its
   * backoff ends nor minInterval passes.
   */
  private long dueAtMs(Room room) {
    long due = room.anchorMs + room.intervalMs;
    if (room.polled) {
      due = Math.min(due, room.lastPollAtMs + (room.watched ? Math.min(urgentAfterMs, watchedIntervalMs) : urgentAfterMs));
      due = Math.max(due, room.lastPollAtMs + settings.minIntervalMs());
    }
    return Math.max(due, room.backoffUntilMs);
  }

  /** When the room may take a token nobody due wants: a share of its interval, and never inside its bounds. */
  private long earlyAtMs(Room room, double share) {
    long due = dueAtMs(room);
    if (share >= 1.0) {
      return due;
    }
    long early = room.anchorMs + (long) Math.ceil(room.intervalMs * share);
    if (room.polled) {
      early = Math.max(early, room.lastPollAtMs + settings.minIntervalMs());
    }
    return Math.min(due, Math.max(early, room.backoffUntilMs));
  }

  private void maybeRebalance(long nowMs) {
    if (!rebalanceNeeded && nowMs - lastRebalanceAt < REBALANCE_EVERY_MS && nowMs >= lastRebalanceAt) {
      return;
    }
    rebalanceNeeded = false;
    lastRebalanceAt = nowMs;
    // The plan divides what the gate can grant, round trips paid. Dividing the nominal budget instead overspends by
    // the round trips' share (5% at 50 ms), and the scheduler then stretches every room alike, the busiest (at
    // minIntervalMs, each poll near the 10-message window) included.
    strategy.rebalance(gate.sustainableRate(nowMs), nowMs);
    for (Room room : rooms.values()) {
      if (room.state != RoomState.INVALID) {
        room.intervalMs = strategy.intervalMs(room.roomId);
      }
    }
  }

  private boolean hasPollableRoom() {
    return rooms.size() > invalidRooms;
  }

  /**
   * Tracks the caller's clock. A wall clock stepped back (NTP) would leave every due time in the future and
   * stall all polling until it caught up, so a step back of more than a second shifts the schedule with it.
   */
  private void see(long nowMs) {
    long step = nowMs - lastSeenMs;
    if (lastSeenMs != 0 && step < -CLOCK_STEP_BACK_MS) {
      for (Room room : rooms.values()) {
        room.anchorMs += step;
        if (room.polled) {
          room.lastPollAtMs += step;
        }
        if (room.backoffUntilMs != 0) {
          room.backoffUntilMs += step;
        }
      }
      gate.shift(step);
      lastRebalanceAt += step;
    }
    lastSeenMs = nowMs;
  }

  /** One room's mutable schedule. */
  private static final class Room {
    final long roomId;
    RoomState state = RoomState.POLLING;
    long intervalMs;
    /** Intervals count from here: the last poll, or one interval before the room was added. */
    long anchorMs;
    long lastPollAtMs;
    boolean polled;
    boolean inFlight;
    boolean watched;
    long backoffUntilMs;
    int consecutiveFailures;

    Room(long roomId) {
      this.roomId = roomId;
    }
  }
}
