package io.danmakurelay.poll;

import io.danmakurelay.pipeline.BackoffPolicy;
import io.danmakurelay.dedupe.DedupeResult;
import io.danmakurelay.dedupe.FreshMessage;
import io.danmakurelay.dedupe.RoomDeduper;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SideRecord;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StateKeys;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.FailureKind;
import io.danmakurelay.upstream.PollOutcome;
import io.danmakurelay.upstream.PollResult;
import io.danmakurelay.upstream.RoomInitResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polling source: resolves followed rooms, asks the {@link PollScheduler} which room is due, sends the
 * request, turns the answer into new messages with the room's {@link RoomDeduper}, and publishes them with
 * the room's new dedupe state to the {@link Pipeline}. Knows no Vert.x and no Kafka: requests, timers and
 * the clock are given, so tests and the capture simulation drive this very loop in virtual time. Every call
 * comes from one thread (the poller verticle's event loop).
 */
public final class PollLoop {

  private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
  /** The most one answer can add: two lists of ten. The buffer must have this much room before a poll. */
  static final int MAX_NEW_PER_POLL = 20;
  static final long BUFFER_FULL_RECHECK_MS = 200;

  /** The upstream requests the loop sends; each answer arrives exactly once, on the loop's thread. */
  public interface Requests {
    void poll(long realRoomId, Consumer<PollResult> done);

    void roomInit(long requestedId, Consumer<RoomInitResult> done);
  }

  /** One-shot timers on the loop's thread. */
  public interface Timers {
    long setTimer(long delayMs, Runnable action);

    void cancelTimer(long id);
  }

  private final String source;
  private final int maxInFlight;
  private final PollScheduler scheduler;
  private final Pipeline pipeline;
  private final Requests requests;
  private final Timers timers;
  private final LongSupplier clock;
  private final PollMetrics metrics;
  private final BackoffPolicy resolveBackoff;
  private final RandomGenerator random;

  private final RoomRegistry rooms = new RoomRegistry();
  private final Map<Long, RoomDeduper> dedupers = new HashMap<>();
  private final ArrayDeque<RoomRegistry.Room> toResolve = new ArrayDeque<>();
  /** Rooms whose messages another source (push) delivers: polled only when asked ({@link #requestPoll}). */
  private final Set<Long> covered = new HashSet<>();
  /** {@code upstream.mode=push}: every room is covered from the moment it is resolved, so none is ever scheduled. */
  private boolean coverEveryRoom;
  /** One-off polls asked for (a backfill after a push reconnect), served before the schedule. */
  private final LinkedHashSet<Long> requested = new LinkedHashSet<>();
  private final Set<Long> inFlightRooms = new HashSet<>();
  private final Map<Long, String> pushStates = new HashMap<>();
  private final Map<Long, Long> backfilled = new HashMap<>();
  private java.util.function.LongConsumer backfillListener = n -> { };
  /** Rooms (real ids) someone watches over the WebSocket, followed or not yet: applied when they are polled. */
  private final Set<Long> watched = new HashSet<>();
  /** Cluster mode: the partition of a room (null: a single relay, which owns every room). */
  private java.util.function.LongToIntFunction partitionOf;
  /** Cluster mode: the partitions whose rooms this loop polls ({@link #adopt}, {@link #release}). */
  private final Set<Integer> ownedPartitions = new HashSet<>();
  private int inFlight;
  private long pumpTimer = -1;
  private long pumpAtMs = Long.MAX_VALUE;
  private boolean stopped;
  private boolean bufferFullLogged;
  private long lastRiskLogMs = Long.MIN_VALUE;

  PollLoop(String source, int maxInFlight, PollScheduler scheduler, Pipeline pipeline, Requests requests, Timers timers,
      LongSupplier clock, PollMetrics metrics, BackoffPolicy resolveBackoff, RandomGenerator random) {
    this.source = source;
    this.maxInFlight = maxInFlight;
    this.scheduler = scheduler;
    this.pipeline = pipeline;
    this.requests = requests;
    this.timers = timers;
    this.clock = clock;
    this.metrics = metrics;
    this.resolveBackoff = resolveBackoff;
    this.random = random;
  }

  // ---- cluster ownership, called on this loop's thread ----

  /**
   * Cluster mode: the loop polls only the rooms of the partitions it was given with {@link #adopt}; every other
   * followed room is resolved (so its owner is known) but not scheduled. Call before the first room is followed.
   */
  public void clusterMode(java.util.function.LongToIntFunction partitionOf) {
    this.partitionOf = partitionOf;
  }

  /** Whether this loop polls the room (always, for a single relay). */
  public boolean owns(long realRoomId) {
    return partitionOf == null || ownedPartitions.contains(partitionOf.applyAsInt(realRoomId));
  }

  private boolean inPartitions(long realRoomId, Set<Integer> partitions) {
    return partitionOf != null && partitions.contains(partitionOf.applyAsInt(realRoomId));
  }

  /**
   * Cluster mode: starts polling the rooms of {@code partitions}, each from its dedupe state as just restored
   * from Kafka ({@code snapshots}: real room id to state; a room without one starts afresh), replacing whatever
   * the loop held for them.
   */
  public void adopt(Set<Integer> partitions, Map<Long, JsonObject> snapshots) {
    ownedPartitions.addAll(partitions);
    dedupers.keySet().removeIf(id -> inPartitions(id, partitions));
    snapshots.forEach((id, snapshot) -> {
      if (inPartitions(id, partitions)) {
        dedupers.put(id, RoomDeduper.restore(id, snapshot));
      }
    });
    long now = clock.getAsLong();
    for (RoomRegistry.Room room : rooms.all()) {
      if (room.resolved() && !room.invalid && rooms.byRealId(room.realId) == room
          && inPartitions(room.realId, partitions)) {
        startPolling(room.realId, now);
      }
    }
    pump();
  }

  /** A resolved room this relay owns: its deduper, and the schedule (or, in push mode, covered at once). */
  private void startPolling(long realId, long now) {
    dedupers.computeIfAbsent(realId, RoomDeduper::new);
    if (coverEveryRoom) {
      covered.add(realId);
    } else {
      scheduler.addRoom(realId, now);
    }
    if (watched.contains(realId)) {
      scheduler.setWatched(realId, true, now);
    }
  }

  /**
   * Cluster mode: stops polling the rooms of {@code partitions} at once. Answers still in flight for them are
   * dropped (their deduper is gone), so nothing of theirs is published after this returns. Returns the real ids
   * of the rooms released (for the push source, which closes their connections).
   */
  public List<Long> release(Set<Integer> partitions) {
    ownedPartitions.removeAll(partitions);
    List<Long> released = new ArrayList<>();
    for (RoomRegistry.Room room : rooms.all()) {
      if (room.resolved() && inPartitions(room.realId, partitions)) {
        scheduler.removeRoom(room.realId);
        covered.remove(room.realId);
        requested.remove(room.realId);
        pushStates.remove(room.realId);
        released.add(room.realId);
      }
    }
    dedupers.keySet().removeIf(id -> inPartitions(id, partitions));
    return released;
  }

  // ---- rooms ----

  /** Continues a room's dedupe from the state restored from Kafka (before the room is first polled). */
  void restoreDedupe(long realRoomId, JsonObject snapshot) {
    dedupers.put(realRoomId, RoomDeduper.restore(realRoomId, snapshot));
  }

  /**
   * Follows a room given as the user gave it (short or real id). With {@code known} (what an earlier
   * room_init answered, from the state topic) it is polled at once; otherwise it is resolved first.
   * Returns the room's entry and whether it was new.
   */
  RoomRegistry.Room follow(long requestedId, JsonObject known) {
    RoomRegistry.Room existing = rooms.find(requestedId);
    if (existing != null) {
      return existing;
    }
    RoomRegistry.Room room = rooms.add(requestedId);
    long real = known == null ? 0 : known.getLong("room_id", 0L);
    if (real > 0) {
      room.resolvedFromState = true;
      onResolved(room, real, known.getLong("short_id", 0L), false);
    } else {
      toResolve.add(room);
    }
    pump();
    return room;
  }

  /**
   * From now on every room resolved is covered at once, before the push source connects it (mode {@code push}:
   * no poll at all; {@code hybrid}: the schedule gets a room only when its push stream fails, so the budget goes to
   * the {@code getDanmuInfo}s that connect the rooms, not to polls of rooms about to be connected). Call before
   * following rooms.
   */
  void coverEveryRoom() {
    coverEveryRoom = true;
  }

  /** Whether the id names a followed room. */
  boolean follows(long id) {
    return rooms.find(id) != null;
  }

  /** Stops following a room; returns it, or null when it was not followed. */
  RoomRegistry.Room unfollow(long id) {
    RoomRegistry.Room room = rooms.find(id);
    if (room == null) {
      return null;
    }
    long real = room.realId;
    rooms.remove(room);
    toResolve.remove(room);
    if (real > 0) {
      scheduler.removeRoom(real);
      covered.remove(real);
      requested.remove(real);
      pushStates.remove(real);
      backfilled.remove(real);
    }
    metrics.removeRoom(room);
    return room;
  }

  /**
   * Another source (push) delivers this room's messages while {@code covered}: the schedule leaves it out and
   * gives its share of the budget to the others. Uncovered again (push is down), it is due at once and then
   * polled by the schedule until push is back.
   */
  public void setCovered(long realRoomId, boolean isCovered) {
    RoomRegistry.Room room = rooms.byRealId(realRoomId);
    if (room == null || room.invalid || !owns(realRoomId)) {
      return;
    }
    if (isCovered && covered.add(realRoomId)) {
      scheduler.removeRoom(realRoomId);
    } else if (!isCovered && covered.remove(realRoomId)) {
      scheduler.addRoom(realRoomId, clock.getAsLong());
      scheduler.setWatched(realRoomId, watched.contains(realRoomId), clock.getAsLong());
    }
    pump();
  }

  // ---- hooks for the push source (hybrid mode), called on this loop's thread ----

  /** The room's deduper, shared with push so that a message seen by both is published once; null if unknown. */
  public RoomDeduper deduper(long realRoomId) {
    return dedupers.get(realRoomId);
  }

  /** The real ids of the followed rooms that are resolved and valid (the rooms push connects to). */
  public List<Long> resolvedRealIds() {
    List<Long> ids = new ArrayList<>();
    for (RoomRegistry.Room room : rooms.all()) {
      if (room.resolved() && !room.invalid && rooms.byRealId(room.realId) == room && owns(room.realId)) {
        ids.add(room.realId);
      }
    }
    return ids;
  }

  /** The room's push state for {@code /api/rooms} ("connected", "reconnecting"), or null to show the poll state. */
  public void setPushState(long realRoomId, String state) {
    if (state == null) {
      pushStates.remove(realRoomId);
    } else {
      pushStates.put(realRoomId, state);
    }
  }

  /** The live status a push {@code LIVE} (1) or {@code PREPARING} (0) reported. */
  public void setLiveStatus(long realRoomId, int status) {
    RoomRegistry.Room room = rooms.byRealId(realRoomId);
    if (room != null) {
      room.liveStatus = status;
    }
  }

  /** Called with the number of messages a poll of a covered room (a backfill) published. */
  public void onBackfill(java.util.function.LongConsumer listener) {
    backfillListener = listener;
  }

  /**
   * Someone watches the room over the WebSocket (its first subscriber came) or no longer does (its last
   * left): a watched room is polled within {@code poll.watchedMaxDelayMs}, out of the unwatched rooms' share.
   * Kept for rooms not followed or resolved yet, so it applies as soon as they are.
   */
  public void setWatched(long realRoomId, boolean isWatched) {
    boolean changed = isWatched ? watched.add(realRoomId) : watched.remove(realRoomId);
    if (changed) {
      scheduler.setWatched(realRoomId, isWatched, clock.getAsLong());
      pump();
    }
  }

  /** Polls the room once as soon as the budget allows, ahead of the schedule (a backfill after a reconnect). */
  public void requestPoll(long realRoomId) {
    RoomRegistry.Room room = rooms.byRealId(realRoomId);
    if (room != null && !room.invalid && owns(realRoomId)) {
      requested.add(realRoomId);
      pump();
    }
  }

  private void resolve(RoomRegistry.Room room) {
    inFlight++;
    requests.roomInit(room.requestedId, result -> {
      inFlight--;
      scheduler.onExchangeEnded(clock.getAsLong());
      if (stopped || !rooms.isCurrent(room)) {
        pump();
        return;
      }
      if (result instanceof RoomInitResult.Resolved resolved) {
        room.liveStatus = resolved.liveStatus();
        onResolved(room, resolved.realId(), resolved.shortId(), true);
      } else if (result instanceof RoomInitResult.NotFound notFound) {
        room.invalid = true;
        room.problem = "room does not exist: " + notFound.reason();
        log.warn("room {} does not exist upstream; it will not be polled", room.requestedId);
      } else if (result instanceof RoomInitResult.Failed failed) {
        room.resolveFailures++;
        room.problem = failed.reason();
        metrics.request(failed.outcome());
        if (failed.kind() == FailureKind.RISK_CONTROL) {
          scheduler.onRiskControl(clock.getAsLong());
        }
        long delay = resolveBackoff.delayMs(room.resolveFailures, random);
        log.warn("resolving room {} failed ({}); retrying in {} ms", room.requestedId, failed.reason(), delay);
        timers.setTimer(delay, () -> {
          if (!stopped && rooms.isCurrent(room) && !room.resolved()) {
            toResolve.add(room);
            pump();
          }
        });
      }
      pump();
    });
  }

  private void onResolved(RoomRegistry.Room room, long realId, long shortId, boolean fresh) {
    RoomRegistry.Room twin = rooms.resolved(room, realId, shortId);
    if (twin != null) {
      // The same room under its short and its real id: follow it once.
      log.info("room {} is room {}, already followed", room.requestedId, realId);
      return;
    }
    room.problem = null;
    room.resolveFailures = 0;
    if (owns(realId)) {
      startPolling(realId, clock.getAsLong());
    }
    metrics.registerRoom(room);
    if (fresh) {
      // Remembered in the state topic, so a restart polls at once instead of resolving every room again.
      pipeline.publish(SourceBatch.sideOnly(List.of(new SideRecord(SideRecord.Kind.STATE,
          StateKeys.resolvedRoom(room.requestedId),
          new JsonObject().put("room_id", realId).put("short_id", shortId), null))));
      if (room.requestedId != realId) {
        log.info("room {} resolved to real id {}", room.requestedId, realId);
      }
    }
  }

  // ---- the loop ----

  /** Starts every request that is due and within the budget, then sleeps until the next one is. */
  void pump() {
    if (stopped) {
      return;
    }
    while (inFlight < maxInFlight) {
      // Read the clock for every grant: the budget records when each request leaves, and sending one can
      // take a while (a cold start), so a time read once per round would date later requests too early.
      long now = clock.getAsLong();
      if (!toResolve.isEmpty()) {
        if (scheduler.tryAcquire(now)) {
          resolve(toResolve.poll());
          continue;
        }
        wakeAt(scheduler.nextTokenAtMs(now));
        return;
      }
      if (!pipeline.hasRoomFor(MAX_NEW_PER_POLL)) {
        // Kafka is not keeping up (or is down): polling on would only lose messages in our own buffer.
        if (!bufferFullLogged) {
          bufferFullLogged = true;
          log.warn("Kafka buffer full: polling paused until Kafka catches up");
        }
        wakeAt(now + BUFFER_FULL_RECHECK_MS);
        return;
      }
      if (bufferFullLogged) {
        bufferFullLogged = false;
        log.info("Kafka buffer has room again: polling resumed");
      }
      Long asked = nextRequested();
      if (asked != null) {
        if (scheduler.tryAcquire(now)) {
          requested.remove(asked);
          poll(asked);
          continue;
        }
        wakeAt(scheduler.nextTokenAtMs(now));
        return;
      }
      Decision decision = scheduler.next(now);
      if (decision instanceof Decision.PollNow pollNow) {
        poll(pollNow.roomId());
      } else if (decision instanceof Decision.WaitUntil wait) {
        wakeAt(wait.atMs());
        return;
      } else {
        return;
      }
    }
  }

  /** The first asked-for room whose last request has answered. */
  private Long nextRequested() {
    for (Long room : requested) {
      if (!inFlightRooms.contains(room)) {
        return room;
      }
    }
    return null;
  }

  private void wakeAt(long atMs) {
    long now = clock.getAsLong();
    long at = Math.max(atMs, now + 1);
    if (pumpTimer >= 0) {
      if (pumpAtMs <= at) {
        return;
      }
      timers.cancelTimer(pumpTimer);
    }
    pumpAtMs = at;
    pumpTimer = timers.setTimer(at - now, () -> {
      pumpTimer = -1;
      pumpAtMs = Long.MAX_VALUE;
      pump();
    });
  }

  private void poll(long roomId) {
    inFlight++;
    inFlightRooms.add(roomId);
    long started = System.nanoTime();
    requests.poll(roomId, result -> {
      inFlight--;
      scheduler.onExchangeEnded(clock.getAsLong());
      inFlightRooms.remove(roomId);
      metrics.roundTrip(System.nanoTime() - started);
      if (!stopped && dedupers.containsKey(roomId) && rooms.byRealId(roomId) != null) {
        onAnswer(roomId, result);
      }
      pump();
    });
  }

  private void onAnswer(long roomId, PollResult result) {
    long now = clock.getAsLong();
    metrics.request(result instanceof PollResult.Failure f ? f.outcome() : PollOutcome.OK);
    RoomRegistry.Room room = rooms.byRealId(roomId);
    if (result instanceof PollResult.Failure failure) {
      onFailure(roomId, room, failure, now);
      return;
    }
    PollResult.Success answer = (PollResult.Success) result;
    RoomDeduper deduper = dedupers.get(roomId);
    DedupeResult fresh = deduper.accept(answer);
    metrics.duplicates(fresh.duplicates());
    if (fresh.gap()) {
      metrics.gap();
      room.gaps.incrementAndGet();
      log.debug("room {}: gap (a full window shared nothing with the previous poll)", roomId);
    }
    room.duplicates += fresh.duplicates();
    if (room.problem != null) {
      log.info("room {} polls again", roomId);
      room.problem = null;
    }
    if (!fresh.fresh().isEmpty()) {
      publish(roomId, fresh.fresh(), deduper, now);
    }
    List<Danmaku> window = answer.room();
    if (scheduler.room(roomId, now).isPresent()) {
      scheduler.onSuccess(roomId, now, new PollObservation(fresh.fresh().size(),
          Math.max(answer.room().size(), answer.admin().size()), fresh.gap(),
          window.isEmpty() ? 0 : window.get(0).ts(), window.isEmpty() ? 0 : window.get(window.size() - 1).ts()));
    }
  }

  private void publish(long roomId, List<FreshMessage> messages, RoomDeduper deduper, long fetchedAt) {
    List<SourceItem> items = new ArrayList<>(messages.size());
    for (FreshMessage message : messages) {
      items.add(RecordValues.danmakuItem(roomId, message, fetchedAt));
    }
    pipeline.publish(new SourceBatch(StreamKey.room(roomId), source, items, deduper.snapshot()));
    if (covered.contains(roomId)) {
      backfilled.merge(roomId, (long) items.size(), Long::sum);
      backfillListener.accept(items.size());
    }
  }

  private void onFailure(long roomId, RoomRegistry.Room room, PollResult.Failure failure, long now) {
    if (failure.kind() == FailureKind.INVALID_ROOM && room.resolvedFromState) {
      // The id came from an earlier run's room_init: the room may have changed since. Ask again before
      // giving up on it.
      log.info("room {} ({}) is refused by the upstream ({}); resolving it again", room.requestedId, roomId,
          failure.reason());
      scheduler.removeRoom(roomId);
      covered.remove(roomId);
      requested.remove(roomId);
      metrics.removeRoom(room);
      rooms.unresolve(room);
      toResolve.add(room);
      return;
    }
    if (scheduler.room(roomId, now).isPresent()) {
      scheduler.onFailure(roomId, now, failure.kind());
    } else if (failure.kind() == FailureKind.RISK_CONTROL) {
      scheduler.onRiskControl(now);
    } else if (failure.kind() == FailureKind.RETRY && covered.contains(roomId)) {
      // A backfill that failed is tried again after the room's backoff, still ahead of the schedule.
      timers.setTimer(resolveBackoff.delayMs(1, random), () -> requestPoll(roomId));
    }
    if (failure.kind() == FailureKind.INVALID_ROOM) {
      room.invalid = true;
      scheduler.markInvalid(roomId);
      covered.remove(roomId);
      requested.remove(roomId);
      log.warn("room {} is not a valid room upstream ({}); it will not be polled", roomId, failure.reason());
    }
    boolean firstOfStreak = room.problem == null;
    room.problem = failure.outcome().label() + ": " + failure.reason();
    // One line per room per failure streak (plus one a minute under risk control) keeps a ban readable.
    if (failure.kind() == FailureKind.RISK_CONTROL) {
      if (lastRiskLogMs == Long.MIN_VALUE || now - lastRiskLogMs > 60_000) {
        lastRiskLogMs = now;
        log.warn("poll room {} hit upstream risk control ({}): every room backs off", roomId, failure.reason());
      }
    } else if (firstOfStreak) {
      log.warn("poll room {} failed: {} ({})", roomId, failure.outcome().label(), failure.reason());
    } else {
      log.debug("poll room {} failed again: {} ({})", roomId, failure.outcome().label(), failure.reason());
    }
  }

  /** Stops sending; answers still in flight are dropped. */
  void stop() {
    stopped = true;
    if (pumpTimer >= 0) {
      timers.cancelTimer(pumpTimer);
      pumpTimer = -1;
    }
  }

  /** Called (on the sink's thread) for each committed batch: the per-room published counts. */
  void onCommitted(SequencedBatch batch) {
    if (batch.messages() > 0 && batch.stream().kind() == StreamKey.Kind.ROOM) {
      metrics.committed(batch.stream().id(), batch.messages());
    }
  }

  // ---- views for the room API, health and gauges ----

  RoomState stateOf(RoomRegistry.Room room, long now) {
    if (room.invalid) {
      return RoomState.INVALID;
    }
    if (!room.resolved()) {
      return room.resolveFailures > 0 ? RoomState.BACKOFF : RoomState.POLLING;
    }
    return scheduler.room(room.realId, now).map(RoomSchedule::state).orElse(RoomState.POLLING);
  }

  /** Refreshes the rooms-by-state gauge and the per-room interval gauges. */
  void refreshGauges() {
    long now = clock.getAsLong();
    Map<RoomState, Long> counts = new EnumMap<>(RoomState.class);
    for (RoomRegistry.Room room : rooms.all()) {
      counts.merge(stateOf(room, now), 1L, Long::sum);
      if (room.intervalMs != null) {
        room.intervalMs.set(scheduler.room(room.realId, now).map(RoomSchedule::intervalMs).orElse(0L));
      }
    }
    metrics.roomsByState(counts);
  }

  /** The room's entry of {@code GET /api/rooms}. */
  JsonObject entry(RoomRegistry.Room room) {
    long now = clock.getAsLong();
    JsonObject entry = new JsonObject()
        .put("room_id", room.resolved() ? room.realId : null)
        .put("requested_id", room.requestedId)
        .put("short_id", room.shortId)
        .put("state", stateOf(room, now).label())
        .put("source", source)
        .put("messages_published", room.resolved() ? metrics.committed(room.realId) : 0)
        .put("gaps", room.gaps.get())
        .put("duplicates_dropped", room.duplicates)
        .put("watched", room.resolved() && watched.contains(room.realId));
    String pushState = room.resolved() ? pushStates.get(room.realId) : null;
    if (pushState != null) {
      entry.put("state", pushState).put("push", pushState)
          .put("source", "connected".equals(pushState) ? "push" : source)
          .put("backfilled", backfilled.getOrDefault(room.realId, 0L));
    }
    if (room.liveStatus >= 0) {
      entry.put("live_status", room.liveStatus);
    }
    RoomSchedule schedule = room.resolved() ? scheduler.room(room.realId, now).orElse(null) : null;
    if (schedule != null) {
      entry.put("interval_ms", schedule.intervalMs())
          .put("last_poll_at", schedule.lastPollAtMs() > 0 ? schedule.lastPollAtMs() : null)
          .put("next_poll_at", schedule.nextPollAtMs())
          .put("backoff_until", schedule.backoffUntilMs() > now ? schedule.backoffUntilMs() : null)
          .put("rate_per_second", Math.round(schedule.estimatedRatePerSecond() * 1000) / 1000.0);
    } else {
      // Not scheduled (push covers it, or not resolved yet): the rate of what was published.
      double published = room.resolved() ? metrics.publishedPerSecond(room.realId) : 0;
      entry.put("interval_ms", null).put("last_poll_at", null)
          .put("rate_per_second", Math.round(published * 1000) / 1000.0);
    }
    if (room.problem != null) {
      entry.put("problem", room.problem);
    }
    return entry;
  }

  JsonObject roomList() {
    JsonArray list = new JsonArray();
    rooms.all().forEach(room -> list.add(entry(room)));
    return new JsonObject().put("rooms", list);
  }

  /** The facts {@code /health} needs. */
  JsonObject status() {
    long now = clock.getAsLong();
    Map<RoomState, Integer> counts = new EnumMap<>(RoomState.class);
    for (RoomRegistry.Room room : rooms.all()) {
      counts.merge(stateOf(room, now), 1, Integer::sum);
    }
    long riskUntil = scheduler.riskControlUntilMs();
    return new JsonObject()
        .put("rooms", rooms.size())
        .put("polling", counts.getOrDefault(RoomState.POLLING, 0))
        .put("backoff", counts.getOrDefault(RoomState.BACKOFF, 0))
        .put("invalid", counts.getOrDefault(RoomState.INVALID, 0))
        .put("risk_control_until", riskUntil > now ? riskUntil : null)
        .put("buffer_full", !pipeline.hasRoomFor(MAX_NEW_PER_POLL));
  }

  RoomRegistry.Room find(long id) {
    return rooms.find(id);
  }
}
