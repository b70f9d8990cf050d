package io.danmakurelay.push;

import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.dedupe.FreshMessage;
import io.danmakurelay.dedupe.RoomDeduper;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.SideRecord;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.poll.PollLoop;
import io.danmakurelay.poll.PollerVerticle;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.upstream.Danmaku;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The push source (modes {@code push} and {@code hybrid}): connects every room the poll loop has resolved,
 * turns pushed chat messages into the same records as polled ones ({@code source=push}) through the room's
 * shared {@link RoomDeduper}, every other command into one event record, and in hybrid mode asks the loop
 * for a backfill poll on each (re)connect and leaves a room to the schedule while its push is down. Runs on
 * the poll loop's context (rooms and dedupers are the loop's); a frame's messages go out as one batch.
 */
public final class PushSource implements PushListener {

  private static final Logger log = LoggerFactory.getLogger(PushSource.class);
  static final String SOURCE = "push";
  static final long SYNC_MS = 1_000;

  private final Vertx vertx;
  private final RelayConfig config;
  private final PollLoop loop;
  private final Pipeline pipeline;
  private final UpstreamGate gate;
  private final MeterRegistry registry;
  private final boolean hybrid;
  private final Set<Long> followed = new HashSet<>();
  private final Map<Long, Pending> pending = new HashMap<>();
  private final Map<String, Counter> events = new HashMap<>();
  private final Counter pushedDuplicates;
  private PushClient client;
  private long syncTimer = -1;

  /** What a room's current frame added, published together once the frame is read. */
  private static final class Pending {
    final List<SourceItem> items = new ArrayList<>();
    final List<SideRecord> side = new ArrayList<>();
  }

  /** Call on the poll loop's context. */
  public PushSource(Vertx vertx, RelayConfig config, PollLoop loop, Pipeline pipeline, UpstreamGate gate,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.loop = loop;
    this.pipeline = pipeline;
    this.gate = gate;
    this.registry = registry;
    this.hybrid = "hybrid".equals(config.upstream().mode());
    for (String cmd : PushCommand.KNOWN_EVENTS) {
      events.put(cmd, eventCounter(cmd));
    }
    events.put("other", eventCounter("other"));
    pushedDuplicates = Counter.builder("danmaku.push.duplicates.dropped")
        .description("Pushed messages already published from a poll").register(registry);
    Counter backfilled = Counter.builder("danmaku.backfilled.messages")
        .description("Messages published by the gethistory poll after a push (re)connect").register(registry);
    loop.onBackfill(backfilled::increment);
  }

  /**
   * Starts the push source of the poller's rooms on the poller's context, whose rooms and dedupers it shares
   * (modes push, hybrid). In a cluster a room's connection closes as its partition is handed over, before the
   * next owner opens one ({@link PollerVerticle#onRelease}).
   */
  public static io.vertx.core.Future<PushSource> start(Vertx vertx, RelayConfig config, PollerVerticle poller,
      Pipeline pipeline, UpstreamGate gate, MeterRegistry registry) {
    io.vertx.core.Promise<PushSource> started = io.vertx.core.Promise.promise();
    poller.runOnContext(v -> {
      try {
        PushSource push = new PushSource(vertx, config, poller.loop(), pipeline, gate, registry).start();
        poller.onRelease(push::release);
        started.complete(push);
      } catch (RuntimeException e) {
        started.fail(e);
      }
    });
    return started.future();
  }

  private Counter eventCounter(String cmd) {
    return Counter.builder("danmaku.events.published").tag("cmd", cmd)
        .description("Push commands other than chat published to the events topic, by command").register(registry);
  }

  /** Connects the rooms followed now and, every second, those added or removed since. */
  public PushSource start() {
    if (hybrid && !config.upstream().modernApi()) {
      log.warn("upstream.mode is hybrid but upstream.api is {}: its polls carry no id_str, so a message seen by"
          + " both sources can be published twice; use upstream.api=gethistory", config.upstream().api());
    }
    client = new PushClient(vertx, config, gate, System::currentTimeMillis, this, registry);
    sync();
    syncTimer = vertx.setPeriodic(SYNC_MS, id -> sync());
    log.info("push stream on ({} mode) from {}", config.upstream().mode(), config.upstream().danmuInfoUrl());
    return this;
  }

  public io.vertx.core.Future<Void> close() {
    vertx.cancelTimer(syncTimer);
    return client == null ? io.vertx.core.Future.succeededFuture() : client.close();
  }

  /**
   * Cluster mode: the poll loop just released these rooms (their partitions moved to another relay). Their
   * connections close now rather than at the next sync, so the new owner's connection is the room's only one and
   * a room handed back to this relay connects afresh (with a backfill for what was sent meanwhile). Complete once
   * the sockets are closed. Call on the poll loop's context.
   */
  public io.vertx.core.Future<Void> release(java.util.Collection<Long> rooms) {
    List<io.vertx.core.Future<Void>> closing = new ArrayList<>();
    for (long room : rooms) {
      if (followed.contains(room)) {
        // What the room's current frame added is not published: the new owner continues from the committed state.
        closing.add(forget(room));
      }
    }
    return io.vertx.core.Future.all(closing).mapEmpty();
  }

  /**
   * Stops following a room: what its current frame added is dropped unpublished and its connection closes; complete
   * once the socket is closed.
   */
  private io.vertx.core.Future<Void> forget(long room) {
    followed.remove(room);
    pending.remove(room);
    return client.unfollow(room);
  }

  private void sync() {
    Set<Long> now = new HashSet<>(loop.resolvedRealIds());
    for (long room : now) {
      if (followed.add(room)) {
        // Covered from the first attempt on, in hybrid mode too: polling a room whose stream is about to come up
        // would spend the budget its getDanmuInfo needs (1,000 rooms connecting must not wait behind 1,000
        // schedules), and the backfill poll of each connect finds what was sent meanwhile. A failed attempt hands
        // the room to the schedule until a connection is up.
        loop.setCovered(room, true);
        loop.setPushState(room, "reconnecting");
        client.follow(room);
      }
    }
    for (Long room : new ArrayList<>(followed)) {
      if (!now.contains(room)) {
        forget(room);
      }
    }
  }

  @Override
  public void connected(long roomId) {
    if (!followed.contains(roomId)) {
      return;
    }
    loop.setPushState(roomId, "connected");
    if (hybrid) {
      // What was sent while the room was not connected is still in gethistory's window, if anywhere.
      loop.setCovered(roomId, true);
      loop.requestPoll(roomId);
    }
  }

  @Override
  public void disconnected(long roomId, String reason) {
    if (!followed.contains(roomId)) {
      return;
    }
    flush(roomId);
    loop.setPushState(roomId, "reconnecting");
    if (hybrid) {
      loop.setCovered(roomId, false);
    }
  }

  @Override
  public void attemptFailed(long roomId, String reason) {
    if (followed.contains(roomId) && hybrid) {
      loop.setCovered(roomId, false);
    }
  }

  @Override
  public void danmaku(long roomId, Danmaku danmaku) {
    RoomDeduper deduper = loop.deduper(roomId);
    if (deduper == null || !followed.contains(roomId)) {
      return;
    }
    Optional<FreshMessage> fresh = deduper.acceptPushed(danmaku);
    if (fresh.isEmpty()) {
      pushedDuplicates.increment();
      return;
    }
    pendingOf(roomId).items.add(RecordValues.danmakuItem(roomId, fresh.get(), System.currentTimeMillis()));
  }

  @Override
  public void event(long roomId, String cmd, JsonObject raw) {
    if (!followed.contains(roomId)) {
      return;
    }
    long now = System.currentTimeMillis();
    JsonObject value = new JsonObject().put("room_id", roomId).put("cmd", cmd).put("ts", eventTime(raw, now))
        .put("fetched_at", now).put("raw", raw);
    pendingOf(roomId).side.add(new SideRecord(SideRecord.Kind.EVENT, Long.toString(roomId), value, SOURCE));
    events.get(PushCommand.label(cmd)).increment();
    if (cmd.equals("LIVE")) {
      loop.setLiveStatus(roomId, 1);
    } else if (cmd.equals("PREPARING")) {
      loop.setLiveStatus(roomId, 0);
    }
  }

  /** The command's own time where it has one (seconds or ms), else when it arrived. */
  private static long eventTime(JsonObject raw, long now) {
    Object data = raw.getValue("data");
    Object t = data instanceof JsonObject d ? d.getValue("timestamp") : null;
    if (t == null) {
      t = raw.getValue("send_time");
    }
    if (t instanceof Number n && n.longValue() > 0) {
      long v = n.longValue();
      return v < 100_000_000_000L ? v * 1000 : v;
    }
    return now;
  }

  private Pending pendingOf(long roomId) {
    Pending p = pending.get(roomId);
    if (p == null) {
      p = new Pending();
      pending.put(roomId, p);
      // Runs after the frame being read: its messages and events become one batch.
      vertx.getOrCreateContext().runOnContext(v -> flush(roomId));
    }
    return p;
  }

  private void flush(long roomId) {
    Pending p = pending.remove(roomId);
    RoomDeduper deduper = loop.deduper(roomId);
    if (p == null || deduper == null || (p.items.isEmpty() && p.side.isEmpty())) {
      return;
    }
    pipeline.publish(new SourceBatch(StreamKey.room(roomId), SOURCE, p.items, deduper.snapshot(), p.side));
  }
}
