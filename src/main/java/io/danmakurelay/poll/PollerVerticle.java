package io.danmakurelay.poll;

import io.danmakurelay.Addresses;
import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.dedupe.DedupeResult;
import io.danmakurelay.dedupe.FreshMessage;
import io.danmakurelay.dedupe.RoomDeduper;
import io.danmakurelay.kafka.RelayState;
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
import io.danmakurelay.upstream.UpstreamClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polling loop: asks the {@link PollScheduler} which room is due, polls it through the
 * {@link UpstreamClient}, turns the answer into new messages with the room's {@link RoomDeduper}, and hands
 * them to the {@link KafkaSink} (with the room's new dedupe state, in one transaction) and to the fan-out.
 * Also owns the list of followed rooms (room API requests arrive over the event bus).
 */
public final class PollerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(PollerVerticle.class);
  /** The most one answer can add: two lists of ten. The buffer must have this much room before a poll. */
  private static final int MAX_NEW_PER_POLL = 20;
  private static final long BUFFER_FULL_RECHECK_MS = 200;

  private final RelayConfig config;
  private final Pipeline pipeline;
  private final RelayState restored;
  private final MeterRegistry registry;
  private final String source;
  private final UpstreamGate gate;

  private PollScheduler scheduler;
  private UpstreamClient upstream;
  private final Map<Long, FollowedRoom> rooms = new LinkedHashMap<>();
  private final Map<Long, RoomDeduper> dedupers = new HashMap<>();
  private final ArrayDeque<FollowedRoom> toResolve = new ArrayDeque<>();
  private int inFlight;
  private int maxInFlight;
  private long pumpTimer = -1;
  private long pumpAtMs = Long.MAX_VALUE;
  private boolean stopping;
  private boolean bufferFullLogged;
  private long lastFailureLogMs;

  private final Map<PollOutcome, Counter> polls = new EnumMap<>(PollOutcome.class);
  private Timer pollDuration;
  private Counter duplicates;
  private Counter gaps;
  private final Map<RoomState, AtomicLong> roomsByState = new EnumMap<>(RoomState.class);
  /** Until when risk control pauses every room (epoch ms), kept for the gauge read at scrape time. */
  private final AtomicLong riskControlUntil = new AtomicLong();
  /** Messages committed per room, updated from the sink's thread. */
  private final Map<Long, AtomicLong> committed = new ConcurrentHashMap<>();

  /** A room as the user asked for it, and what resolving and polling it found. */
  private static final class FollowedRoom {
    final long requestedId;
    long realId;
    long shortId;
    boolean invalid;
    String problem;
    int resolveFailures;
    /** Read by the per-room meters at scrape time, so atomic. */
    final AtomicLong gaps = new AtomicLong();
    long duplicates;
    final List<Meter> meters = new ArrayList<>();
    /** The scheduler's interval for this room, mirrored for its gauge (per-room metrics only). */
    AtomicLong intervalMs;

    FollowedRoom(long requestedId) {
      this.requestedId = requestedId;
    }
  }

  public PollerVerticle(RelayConfig config, Pipeline pipeline, RelayState restored, MeterRegistry registry) {
    this(config, pipeline, restored, registry, new UpstreamGate(config.upstream().requestsPerSecond(),
        config.backoff().initialMs(), config.backoff().maxMs()));
  }

  /** Spending from the relay's one request budget, shared with its other sources (one IP, one budget). */
  public PollerVerticle(RelayConfig config, Pipeline pipeline, RelayState restored, MeterRegistry registry,
      UpstreamGate gate) {
    this.gate = gate;
    this.config = config;
    this.pipeline = pipeline;
    this.restored = restored;
    this.registry = registry;
    this.source = config.upstream().api();
  }

  /** Called by the sink (on its thread) for each committed batch: feeds the per-room published count. */
  public void onCommitted(SequencedBatch batch) {
    if (batch.messages() > 0 && batch.stream().kind() == StreamKey.Kind.ROOM) {
      committed.computeIfAbsent(batch.stream().id(), id -> new AtomicLong()).addAndGet(batch.messages());
    }
  }

  @Override
  public Future<?> start() {
    RelayConfig.Poll poll = config.poll();
    SchedulerSettings settings = new SchedulerSettings(poll.strategy(), config.upstream().requestsPerSecond(),
        poll.intervalMs(), poll.minIntervalMs(), poll.maxIntervalMs(), config.backoff().initialMs(),
        config.backoff().maxMs());
    scheduler = new PollScheduler(settings, new Random(), PollScheduler.strategyFor(settings), gate);
    // Enough concurrent requests to spend the whole budget even when every answer takes the full timeout.
    maxInFlight = (int) Math.max(4, Math.min(512,
        Math.ceil(config.upstream().requestsPerSecond() * config.upstream().timeoutMs() / 1000.0) + 1));
    upstream = new UpstreamClient(vertx, config.upstream(), maxInFlight);
    registerMetrics();

    restored.streams().forEach((stream, snapshot) -> {
      if (stream.kind() == StreamKey.Kind.ROOM) {
        dedupers.put(stream.id(), RoomDeduper.restore(stream.id(), snapshot));
      }
    });
    for (long room : config.rooms()) {
      follow(room);
    }
    restored.followed().keySet().forEach(this::follow);

    var bus = vertx.eventBus();
    return Future.all(
        bus.<JsonObject>consumer(Addresses.ROOMS_LIST, msg -> msg.reply(roomList())).completion(),
        bus.<JsonObject>consumer(Addresses.ROOMS_ADD, this::handleAdd).completion(),
        bus.<JsonObject>consumer(Addresses.ROOMS_REMOVE, this::handleRemove).completion(),
        bus.<JsonObject>consumer(Addresses.POLLER_STATUS, msg -> msg.reply(status())).completion())
        .onSuccess(ok -> {
          log.info("polling {} rooms with {} ({} strategy, budget {} requests/s)", rooms.size(), config.upstream().url(),
              poll.strategy(), config.upstream().requestsPerSecond());
          pump();
        });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    if (pumpTimer >= 0) {
      vertx.cancelTimer(pumpTimer);
    }
    return upstream.close();
  }

  private void registerMetrics() {
    for (PollOutcome outcome : PollOutcome.values()) {
      polls.put(outcome, Counter.builder("danmaku.polls").tag("outcome", outcome.label())
          .description("Upstream polls by outcome").register(registry));
    }
    pollDuration = Timer.builder("danmaku.poll.duration").description("Upstream poll round trip")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
    duplicates = Counter.builder("danmaku.duplicates.dropped")
        .description("Items of poll answers already seen in an earlier answer").register(registry);
    gaps = Counter.builder("danmaku.gaps")
        .description("Full windows that shared nothing with the previous poll: messages were probably lost")
        .register(registry);
    for (RoomState state : RoomState.values()) {
      AtomicLong value = new AtomicLong();
      roomsByState.put(state, value);
      Gauge.builder("danmaku.rooms", value, AtomicLong::get).tag("state", state.label())
          .description("Followed rooms by state").register(registry);
    }
    Gauge.builder("danmaku.risk.control.active", riskControlUntil,
            until -> until.get() > System.currentTimeMillis() ? 1 : 0)
        .description("1 while every room waits because the upstream signalled risk control").register(registry);
    vertx.setPeriodic(1000, id -> refreshGauges());
  }

  private void refreshGauges() {
    long now = System.currentTimeMillis();
    Map<RoomState, Long> counts = new EnumMap<>(RoomState.class);
    for (RoomState state : RoomState.values()) {
      counts.put(state, 0L);
    }
    for (FollowedRoom room : rooms.values()) {
      counts.merge(stateOf(room, now), 1L, Long::sum);
      if (room.intervalMs != null) {
        scheduler.room(room.realId, now).ifPresent(schedule -> room.intervalMs.set(schedule.intervalMs()));
      }
    }
    counts.forEach((state, count) -> roomsByState.get(state).set(count));
  }

  /**
   * Only with {@code metrics.perRoom}: a {@code room} label takes one value per followed room, which a
   * Prometheus with thousands of rooms would pay for in series.
   */
  private void registerRoomMeters(FollowedRoom room) {
    Tags tags = Tags.of("room", Long.toString(room.realId));
    AtomicLong published = committed.computeIfAbsent(room.realId, id -> new AtomicLong());
    room.meters.add(FunctionCounter.builder("danmaku.room.messages.published", published, AtomicLong::get)
        .tags(tags).description("Danmaku of one room committed to Kafka").register(registry));
    room.meters.add(FunctionCounter.builder("danmaku.room.gaps", room.gaps, AtomicLong::get)
        .tags(tags).description("Gaps seen in one room").register(registry));
    AtomicLong intervalMs = new AtomicLong();
    room.intervalMs = intervalMs;
    room.meters.add(Gauge.builder("danmaku.room.poll.interval.seconds", intervalMs, v -> v.get() / 1000.0)
        .tags(tags).description("One room's current poll interval").register(registry));
  }

  // ---- rooms ----

  /** Starts following a room given as the user gave it (short or real id); returns its entry. */
  private FollowedRoom follow(long requestedId) {
    FollowedRoom existing = findRoom(requestedId);
    if (existing != null) {
      return existing;
    }
    FollowedRoom room = new FollowedRoom(requestedId);
    rooms.put(requestedId, room);
    toResolve.add(room);
    return room;
  }

  private FollowedRoom findRoom(long id) {
    FollowedRoom byRequest = rooms.get(id);
    if (byRequest != null) {
      return byRequest;
    }
    for (FollowedRoom room : rooms.values()) {
      if (room.realId == id || (room.shortId > 0 && room.shortId == id)) {
        return room;
      }
    }
    return null;
  }

  private void resolve(FollowedRoom room) {
    inFlight++;
    upstream.roomInit(room.requestedId).onComplete(done -> {
      inFlight--;
      if (rooms.get(room.requestedId) != room || stopping) {
        return;
      }
      RoomInitResult result = done.result();
      if (result instanceof RoomInitResult.Resolved resolved) {
        onResolved(room, resolved);
      } else if (result instanceof RoomInitResult.NotFound notFound) {
        room.invalid = true;
        room.problem = "room does not exist: " + notFound.reason();
        log.warn("room {} does not exist upstream; it will not be polled", room.requestedId);
      } else if (result instanceof RoomInitResult.Failed failed) {
        room.resolveFailures++;
        room.problem = failed.reason();
        polls.get(failed.outcome()).increment();
        if (failed.kind() == FailureKind.RISK_CONTROL) {
          scheduler.onRiskControl(System.currentTimeMillis());
          riskControlUntil.set(scheduler.riskControlUntilMs());
        }
        long delay = Math.min(config.backoff().maxMs(),
            config.backoff().initialMs() << Math.min(20, room.resolveFailures - 1));
        log.warn("resolving room {} failed ({}); retrying in {} ms", room.requestedId, failed.reason(), delay);
        vertx.setTimer(delay, id -> {
          if (rooms.get(room.requestedId) == room) {
            toResolve.add(room);
            pump();
          }
        });
      }
      pump();
    });
  }

  private void onResolved(FollowedRoom room, RoomInitResult.Resolved resolved) {
    FollowedRoom twin = findRoom(resolved.realId());
    if (twin != null && twin != room && twin.realId == resolved.realId()) {
      // The same room under its short and its real id: follow it once.
      rooms.remove(room.requestedId);
      log.info("room {} is room {}, already followed", room.requestedId, resolved.realId());
      return;
    }
    room.realId = resolved.realId();
    room.shortId = resolved.shortId();
    room.problem = null;
    dedupers.computeIfAbsent(room.realId, RoomDeduper::new);
    scheduler.addRoom(room.realId, System.currentTimeMillis());
    if (config.metrics().perRoom()) {
      registerRoomMeters(room);
    }
    if (room.requestedId != room.realId) {
      log.info("room {} resolved to real id {}", room.requestedId, room.realId);
    }
  }

  /** The room id of a room API request, or -1 after answering 400. */
  private static long roomIdOf(Message<JsonObject> message) {
    try {
      return ConfigLoader.parseRoomId(message.body().getValue("room"));
    } catch (IllegalArgumentException e) {
      message.fail(400, e.getMessage());
      return -1;
    }
  }

  private void handleAdd(Message<JsonObject> message) {
    long id = roomIdOf(message);
    if (id < 0) {
      return;
    }
    boolean known = findRoom(id) != null;
    FollowedRoom room = follow(id);
    if (!known) {
      pipeline.publish(SourceBatch.sideOnly(List.of(new SideRecord(SideRecord.Kind.STATE, StateKeys.followedRoom(id),
          new JsonObject().put("room", id).put("added_at", System.currentTimeMillis()), null))));
      log.info("room {} added", id);
      pump();
    }
    message.reply(entry(room, System.currentTimeMillis()).put("created", !known));
  }

  private void handleRemove(Message<JsonObject> message) {
    long id = roomIdOf(message);
    if (id < 0) {
      return;
    }
    FollowedRoom room = findRoom(id);
    if (room == null) {
      message.reply(new JsonObject().put("removed", false));
      return;
    }
    rooms.remove(room.requestedId);
    toResolve.remove(room);
    if (room.realId > 0) {
      scheduler.removeRoom(room.realId);
    }
    room.meters.forEach(registry::remove);
    pipeline.publish(SourceBatch.sideOnly(List.of(
        new SideRecord(SideRecord.Kind.STATE, StateKeys.followedRoom(room.requestedId), null, null))));
    log.info("room {} removed", id);
    message.reply(new JsonObject().put("removed", true).put("room_id", room.realId > 0 ? room.realId : id));
  }

  private RoomState stateOf(FollowedRoom room, long now) {
    if (room.invalid) {
      return RoomState.INVALID;
    }
    if (room.realId == 0) {
      return room.resolveFailures > 0 ? RoomState.BACKOFF : RoomState.POLLING;
    }
    return scheduler.room(room.realId, now).map(RoomSchedule::state).orElse(RoomState.POLLING);
  }

  private JsonObject entry(FollowedRoom room, long now) {
    JsonObject entry = new JsonObject()
        .put("room_id", room.realId > 0 ? room.realId : null)
        .put("requested_id", room.requestedId)
        .put("short_id", room.shortId)
        .put("state", stateOf(room, now).label())
        .put("messages_published", room.realId > 0 ? committed.getOrDefault(room.realId, new AtomicLong()).get() : 0)
        .put("gaps", room.gaps.get())
        .put("duplicates_dropped", room.duplicates);
    RoomSchedule schedule = room.realId > 0 ? scheduler.room(room.realId, now).orElse(null) : null;
    if (schedule != null) {
      entry.put("interval_ms", schedule.intervalMs())
          .put("last_poll_at", schedule.lastPollAtMs() > 0 ? schedule.lastPollAtMs() : null)
          .put("next_poll_at", schedule.nextPollAtMs())
          .put("backoff_until", schedule.backoffUntilMs() > now ? schedule.backoffUntilMs() : null)
          .put("rate_per_second", Math.round(schedule.estimatedRatePerSecond() * 1000) / 1000.0);
    } else {
      entry.put("interval_ms", null).put("last_poll_at", null).put("rate_per_second", 0.0);
    }
    if (room.problem != null) {
      entry.put("problem", room.problem);
    }
    return entry;
  }

  private JsonObject roomList() {
    long now = System.currentTimeMillis();
    JsonArray list = new JsonArray();
    rooms.values().forEach(room -> list.add(entry(room, now)));
    return new JsonObject().put("rooms", list);
  }

  private JsonObject status() {
    long now = System.currentTimeMillis();
    int polling = 0;
    int backoff = 0;
    int invalid = 0;
    for (FollowedRoom room : rooms.values()) {
      switch (stateOf(room, now)) {
        case POLLING -> polling++;
        case BACKOFF -> backoff++;
        case INVALID -> invalid++;
      }
    }
    long riskUntil = scheduler.riskControlUntilMs();
    return new JsonObject()
        .put("rooms", rooms.size())
        .put("polling", polling)
        .put("backoff", backoff)
        .put("invalid", invalid)
        .put("risk_control_until", riskUntil > now ? riskUntil : null)
        .put("buffer_full", !pipeline.hasRoomFor(MAX_NEW_PER_POLL));
  }

  // ---- the loop ----

  /** Starts every request that is due and within the budget, then sleeps until the next one is. */
  private void pump() {
    if (stopping) {
      return;
    }
    while (inFlight < maxInFlight) {
      // Read the clock for every grant: the budget records when each request leaves, and sending one can
      // take a while (a cold start), so a time read once per round would date later requests too early.
      long now = System.currentTimeMillis();
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

  private void wakeAt(long atMs) {
    long now = System.currentTimeMillis();
    long at = Math.max(atMs, now + 1);
    if (pumpTimer >= 0) {
      if (pumpAtMs <= at) {
        return;
      }
      vertx.cancelTimer(pumpTimer);
    }
    pumpAtMs = at;
    pumpTimer = vertx.setTimer(at - now, id -> {
      pumpTimer = -1;
      pumpAtMs = Long.MAX_VALUE;
      pump();
    });
  }

  private void poll(long roomId) {
    inFlight++;
    long started = System.nanoTime();
    upstream.poll(roomId).onComplete(done -> {
      inFlight--;
      pollDuration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      if (!stopping && dedupers.containsKey(roomId) && scheduler.room(roomId, System.currentTimeMillis()).isPresent()) {
        onAnswer(roomId, done.result());
      }
      pump();
    });
  }

  private void onAnswer(long roomId, PollResult result) {
    long now = System.currentTimeMillis();
    polls.get(result instanceof PollResult.Failure f ? f.outcome() : PollOutcome.OK).increment();
    FollowedRoom room = findRoom(roomId);
    if (result instanceof PollResult.Failure failure) {
      onFailure(roomId, room, failure, now);
      return;
    }
    PollResult.Success answer = (PollResult.Success) result;
    RoomDeduper deduper = dedupers.get(roomId);
    DedupeResult fresh = deduper.accept(answer);
    duplicates.increment(fresh.duplicates());
    if (fresh.gap()) {
      gaps.increment();
      log.debug("room {}: gap (a full window shared nothing with the previous poll)", roomId);
    }
    if (room != null) {
      room.gaps.addAndGet(fresh.gap() ? 1 : 0);
      room.duplicates += fresh.duplicates();
      if (room.problem != null) {
        log.info("room {} polls again", roomId);
        room.problem = null;
      }
    }
    if (!fresh.fresh().isEmpty()) {
      hand(roomId, fresh.fresh(), deduper, now);
    }
    List<Danmaku> window = answer.room();
    scheduler.onSuccess(roomId, now, new PollObservation(fresh.fresh().size(),
        Math.max(answer.room().size(), answer.admin().size()), fresh.gap(),
        window.isEmpty() ? 0 : window.get(0).ts(), window.isEmpty() ? 0 : window.get(window.size() - 1).ts()));
  }

  private void hand(long roomId, List<FreshMessage> messages, RoomDeduper deduper, long fetchedAt) {
    List<SourceItem> items = new ArrayList<>(messages.size());
    for (FreshMessage message : messages) {
      items.add(RecordValues.danmakuItem(roomId, message, fetchedAt));
    }
    pipeline.publish(new SourceBatch(StreamKey.room(roomId), source, items, deduper.snapshot()));
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true).setCodecName("danmaku-event-local");
    for (SourceItem item : items) {
      vertx.eventBus().publish(Addresses.DANMAKU, new DanmakuEvent(roomId, item.value()), local);
    }
  }

  private void onFailure(long roomId, FollowedRoom room, PollResult.Failure failure, long now) {
    scheduler.onFailure(roomId, now, failure.kind());
    riskControlUntil.set(scheduler.riskControlUntilMs());
    if (failure.kind() == FailureKind.INVALID_ROOM && room != null) {
      room.invalid = true;
      scheduler.markInvalid(roomId);
      log.warn("room {} is not a valid room upstream ({}); it will not be polled", roomId, failure.reason());
    }
    boolean firstOfStreak = room != null && room.problem == null;
    if (room != null) {
      room.problem = failure.outcome().label() + ": " + failure.reason();
    }
    // One line per room per failure streak (plus one a minute under risk control) keeps a ban readable.
    if (failure.kind() == FailureKind.RISK_CONTROL) {
      if (now - lastFailureLogMs > 60_000) {
        lastFailureLogMs = now;
        log.warn("poll room {} hit upstream risk control ({}): every room backs off", roomId, failure.reason());
      }
    } else if (firstOfStreak) {
      log.warn("poll room {} failed: {} ({})", roomId, failure.outcome().label(), failure.reason());
    } else {
      log.debug("poll room {} failed again: {} ({})", roomId, failure.outcome().label(), failure.reason());
    }
  }
}
