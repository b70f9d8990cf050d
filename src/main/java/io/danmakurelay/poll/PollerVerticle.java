package io.danmakurelay.poll;

import io.danmakurelay.pipeline.BackoffPolicy;
import io.danmakurelay.Addresses;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.RelayState;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SideRecord;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.StateKeys;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.upstream.PollResult;
import io.danmakurelay.upstream.RoomId;
import io.danmakurelay.upstream.RoomInitResult;
import io.danmakurelay.upstream.UpstreamClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin shell of the polling source: wires the {@link PollLoop} to Vert.x (HTTP client, timers, its event
 * loop) and answers the room API over the event bus ({@link Addresses}). Rooms added or removed at run time are
 * kept in the state topic, as the loop keeps the ids room_init resolved.
 */
public final class PollerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(PollerVerticle.class);

  private final RelayConfig config;
  private final Pipeline pipeline;
  private final RelayState restored;
  private final MeterRegistry registry;
  private final UpstreamGate gate;
  private volatile PollLoop loop;
  private volatile java.util.function.LongToIntFunction partitionOf;
  private volatile java.util.function.Function<List<Long>, Future<Void>> releaseHook =
      rooms -> Future.succeededFuture();
  private UpstreamClient upstream;
  /**
   * In a cluster: this relay's writes of {@code room/<id>} not yet read back from the state topic, per id. The
   * room list feed skips that many entries of the key, so a relay's own add or remove is applied once (by the
   * API call) and an older own write read back late cannot undo a newer one.
   */
  private final Map<Long, Integer> ownRoomWrites = new HashMap<>();
  /** What room_init answered for each requested id, as the state topic says (so a room added elsewhere polls at once). */
  private final Map<Long, JsonObject> resolvedIds = new HashMap<>();

  public PollerVerticle(RelayConfig config, Pipeline pipeline, RelayState restored, MeterRegistry registry,
      UpstreamGate gate) {
    this.config = config;
    this.pipeline = pipeline;
    this.restored = restored;
    this.registry = registry;
    this.gate = gate;
  }

  /** Called by the sink (on its thread) for each committed batch: feeds the per-room published count. */
  public void onCommitted(SequencedBatch batch) {
    PollLoop current = loop;
    if (current != null) {
      current.onCommitted(batch);
    }
  }

  /**
   * Cluster mode: poll only the rooms of the partitions handed over with {@link #adopt} (call before deploying;
   * the dedupe state then comes with each partition, not from start-up).
   */
  public void clusterMode(java.util.function.LongToIntFunction partitionOf) {
    this.partitionOf = partitionOf;
  }

  /** Cluster mode: starts polling the rooms of {@code partitions} from their restored dedupe state. */
  public Future<Void> adopt(java.util.Set<Integer> partitions, Map<Long, JsonObject> snapshots) {
    return onContext(() -> loop.adopt(partitions, snapshots));
  }

  /**
   * Cluster mode: stops polling the rooms of {@code partitions}; complete once nothing of theirs is published and
   * the other sources of those rooms (push: their connections) have let them go too ({@link #onRelease}).
   */
  public Future<Void> release(java.util.Set<Integer> partitions) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      List<Long> released;
      try {
        released = loop.release(partitions);
      } catch (RuntimeException e) {
        done.fail(e);
        return;
      }
      releaseHook.apply(released).onComplete(ar -> {
        if (ar.succeeded()) {
          done.complete();
        } else {
          done.fail(ar.cause());
        }
      });
    });
    return done.future();
  }

  /**
   * Another source of the loop's rooms (push) lets released rooms go: called on this verticle's context with
   * their real ids, right after the loop stopped them; {@link #release} completes when its future does.
   */
  public void onRelease(java.util.function.Function<List<Long>, Future<Void>> hook) {
    this.releaseHook = hook;
  }

  private Future<Void> onContext(Runnable action) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      try {
        action.run();
        done.complete();
      } catch (RuntimeException e) {
        done.fail(e);
      }
    });
    return done.future();
  }

  /** The loop, for other sources of the same rooms (push) running on this verticle's context. */
  public PollLoop loop() {
    return loop;
  }

  /** Runs an action on this verticle's context: push shares the loop's rooms and dedupers on it. */
  public void runOnContext(io.vertx.core.Handler<Void> action) {
    context.runOnContext(action);
  }

  /** Enough concurrent requests to spend the whole budget even when every answer takes the full timeout. */
  static int maxInFlight(RelayConfig.Upstream upstream) {
    return (int) Math.max(4, Math.min(512, Math.ceil(upstream.requestsPerSecond() * upstream.timeoutMs() / 1000.0) + 1));
  }

  @Override
  public Future<?> start() {
    RelayConfig.Poll poll = config.poll();
    Random random = new Random();
    SchedulerSettings settings = new SchedulerSettings(poll.strategy(), config.upstream().requestsPerSecond(),
        poll.intervalMs(), poll.minIntervalMs(), poll.maxIntervalMs(), config.backoff().initialMs(),
        config.backoff().maxMs(), poll.watchedMaxDelayMs());
    PollScheduler scheduler = new PollScheduler(settings, random, PollScheduler.strategyFor(settings), gate);
    int maxInFlight = maxInFlight(config.upstream());
    upstream = new UpstreamClient(vertx, config.upstream(), maxInFlight);
    PollMetrics metrics = new PollMetrics(registry, config.metrics().perRoom(), gate, System::currentTimeMillis);
    PollLoop.Requests requests = new PollLoop.Requests() {
      @Override
      public void poll(long realRoomId, Consumer<PollResult> done) {
        upstream.poll(realRoomId).onComplete(ar -> done.accept(ar.result()));
      }

      @Override
      public void roomInit(long requestedId, Consumer<RoomInitResult> done) {
        upstream.roomInit(requestedId).onComplete(ar -> done.accept(ar.result()));
      }
    };
    PollLoop.Timers timers = new PollLoop.Timers() {
      @Override
      public long setTimer(long delayMs, Runnable action) {
        return vertx.setTimer(Math.max(1, delayMs), id -> action.run());
      }

      @Override
      public void cancelTimer(long id) {
        vertx.cancelTimer(id);
      }
    };
    PollLoop created = new PollLoop(config.upstream().api(), maxInFlight, scheduler, pipeline, requests, timers,
        System::currentTimeMillis, metrics, new BackoffPolicy(config.backoff().initialMs(), config.backoff().maxMs()),
        random);
    if (config.upstream().pushEnabled()) {
      // push: never polled; hybrid: polled only once its push stream failed (see PushSource.attemptFailed).
      created.coverEveryRoom();
    }

    if (partitionOf != null) {
      created.clusterMode(partitionOf);
    } else {
      restored.streams().forEach((stream, snapshot) -> {
        if (stream.kind() == StreamKey.Kind.ROOM) {
          created.restoreDedupe(stream.id(), snapshot);
        }
      });
    }
    Map<Long, JsonObject> resolved = restored.byId(StateKeys.RESOLVED_ROOM);
    resolvedIds.putAll(resolved);
    for (long room : config.rooms()) {
      created.follow(room, resolved.get(room));
    }
    restored.followed().keySet().forEach(room -> created.follow(room, resolved.get(room)));
    loop = created;
    vertx.setPeriodic(1000, id -> created.refreshGauges());

    var bus = vertx.eventBus();
    return Future.all(
        bus.<JsonObject>consumer(Addresses.ROOMS_LIST, msg -> msg.reply(created.roomList())).completion(),
        bus.<JsonObject>consumer(Addresses.ROOMS_ADD, this::handleAdd).completion(),
        bus.<JsonObject>consumer(Addresses.ROOMS_REMOVE, this::handleRemove).completion(),
        bus.<JsonObject>consumer(Addresses.POLLER_STATUS, msg -> msg.reply(created.status())).completion(),
        bus.<JsonObject>consumer(Addresses.ROOM_WATCHED, this::handleWatched).completion())
        .onSuccess(ok -> {
          log.info("polling {} rooms with {} ({} strategy, budget {} requests/s)",
              config.rooms().size() + restored.followed().size(), config.upstream().url(), poll.strategy(),
              config.upstream().requestsPerSecond());
          created.pump();
        });
  }

  @Override
  public Future<?> stop() {
    if (loop != null) {
      loop.stop();
    }
    return upstream.close();
  }

  /** The room id of a room API request, or -1 after answering 400. */
  private static long roomIdOf(Message<JsonObject> message) {
    try {
      return RoomId.parse(message.body().getValue("room"));
    } catch (IllegalArgumentException e) {
      message.fail(400, e.getMessage());
      return -1;
    }
  }

  /** The fan-out says a room gained its first subscriber or lost its last (published, no reply). */
  private void handleWatched(Message<JsonObject> message) {
    JsonObject body = message.body();
    Object room = body == null ? null : body.getValue("room");
    Object isWatched = body == null ? null : body.getValue("watched");
    if (!(room instanceof Number id) || id.longValue() <= 0 || !(isWatched instanceof Boolean flag)) {
      log.warn("watched-room signal ignored: expected {\"room\":ID,\"watched\":BOOL}, got {}", body);
      return;
    }
    loop.setWatched(id.longValue(), flag);
  }

  private void handleAdd(Message<JsonObject> message) {
    long id = roomIdOf(message);
    if (id < 0) {
      return;
    }
    boolean known = loop.follows(id);
    RoomRegistry.Room room = loop.follow(id, null);
    if (!known) {
      countOwnWrite(id);
      pipeline.publish(SourceBatch.sideOnly(List.of(new SideRecord(SideRecord.Kind.STATE, StateKeys.followedRoom(id),
          new JsonObject().put("room", id).put("added_at", System.currentTimeMillis()), null))));
      log.info("room {} added", id);
    }
    message.reply(loop.entry(room).put("created", !known));
  }

  private void handleRemove(Message<JsonObject> message) {
    long id = roomIdOf(message);
    if (id < 0) {
      return;
    }
    RoomRegistry.Room room = loop.unfollow(id);
    if (room == null) {
      message.reply(new JsonObject().put("removed", false));
      return;
    }
    countOwnWrite(room.requestedId);
    pipeline.publish(SourceBatch.sideOnly(List.of(
        new SideRecord(SideRecord.Kind.STATE, StateKeys.followedRoom(room.requestedId), null, null),
        new SideRecord(SideRecord.Kind.STATE, StateKeys.resolvedRoom(room.requestedId), null, null))));
    log.info("room {} removed", id);
    long real = room.realId;
    message.reply(new JsonObject().put("removed", true).put("room_id", real > 0 ? real : id));
  }

  private void countOwnWrite(long requestedId) {
    if (config.cluster().enabled()) {
      ownRoomWrites.merge(requestedId, 1, Integer::sum);
    }
  }

  /**
   * The cluster's room list changed in the state topic ({@code kafka.StateFeed}): a {@code room/<id>} entry
   * written (followed) or removed by any relay, or a {@code resolved/<id>} entry. Applied on this verticle's
   * context, so the local registry holds every room of the cluster; which of them this relay polls is the
   * ownership's business. Entries this relay wrote itself were applied when it wrote them, and are skipped.
   */
  public void onClusterStateEntry(String key, JsonObject value) {
    context.runOnContext(v -> {
      long resolvedId = StateKeys.idAfter(key, StateKeys.RESOLVED_ROOM);
      if (resolvedId > 0) {
        if (value == null) {
          resolvedIds.remove(resolvedId);
        } else {
          resolvedIds.put(resolvedId, value);
        }
        return;
      }
      long id = StateKeys.idAfter(key, StateKeys.FOLLOWED_ROOM);
      if (id <= 0 || loop == null || skipOwnWrite(id)) {
        return;
      }
      if (value != null && !loop.follows(id)) {
        loop.follow(id, resolvedIds.get(id));
        log.info("room {} added by another relay of the cluster", id);
      } else if (value == null && loop.unfollow(id) != null) {
        log.info("room {} removed by another relay of the cluster", id);
      }
    });
  }

  private boolean skipOwnWrite(long id) {
    Integer pending = ownRoomWrites.get(id);
    if (pending == null) {
      return false;
    }
    if (pending <= 1) {
      ownRoomWrites.remove(id);
    } else {
      ownRoomWrites.put(id, pending - 1);
    }
    return true;
  }
}
