package io.danmakurelay.fanout;

import io.danmakurelay.pipeline.CommittedRecord;
import io.micrometer.core.instrument.Counter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket fan-out: per-room history, subscriptions, resume, events, slow-client cut-off. Reads
 * committed records (room messages with their durable {@code seq}, and events) and writes SPEC §5 frames
 * to subscribers.
 *
 * <p>Shards: the connections are spread over several event loops ({@link #listen} binds one HTTP server per
 * shard on one shared port, and Vert.x hands each new connection to the next). Each shard owns its
 * connections, subscriptions and room histories, on its own event loop; a batch of records is turned into
 * frames once, on the Kafka feed's thread, and the same frame bytes are handed to every shard in one hop
 * each. A shard writes each subscriber's frames of a batch without a flush and flushes each connection once
 * at the end of the batch. A live frame's WebSocket wire bytes are encoded once per shard and the same bytes
 * written to every subscriber that negotiated no extension; a client with permessage-deflate gets its frames
 * through the WebSocket encoder (and the compressor) as before.
 *
 * <p>Protocol additions that are part of the contract:
 * <ul>
 *   <li>{@code subscribed} always lists the connection's whole subscription set after the change, sorted;
 *       it also answers {@code unsubscribe}.</li>
 *   <li>Resume: {@code since:{"ID":SEQ}} means "the last seq I saw was SEQ". The server replays seq
 *       SEQ+1 onwards from history, then the live stream, with no gap and no repeat. When the history no
 *       longer reaches SEQ+1 it first sends
 *       {@code {"op":"error","error":"history exhausted","room_id":ID,"requested":SEQ,"from_seq":F}}
 *       where F is the first seq that follows (messages SEQ+1..F-1 are lost to this client). When SEQ is
 *       above the room's latest seq (the relay restarted and seqs began again at 1) it first sends
 *       {@code {"op":"error","error":"seq ahead of stream","room_id":ID,"requested":SEQ,"latest":L}}; in both
 *       cases everything still held follows. A room the connection already receives is not replayed.</li>
 *   <li>{@code "events":true} in a subscribe adds the events of the rooms it names
 *       ({@code {"op":"event","room_id":ID,"msg":{...}}}, live only: events have no seq and no replay);
 *       a later subscribe without it leaves them on, an unsubscribe ends both.</li>
 *   <li>Room ids are positive integers, as JSON numbers or strings of digits.</li>
 *   <li>Close codes: 1009 for a client message over {@link FanoutLimits#maxMessageBytes()}, 1008 for a
 *       frame flood, 1013 for a client too slow to keep up (reconnect and resume with since), 1001 at
 *       shutdown. A slow client gets its close frame queued behind what it has not read; if its TCP
 *       connection is still open {@link FanoutLimits#cutOffGraceMillis()} later it is dropped.</li>
 *   <li>Upgrade checks, before the handshake: {@code ws.token} set and {@code ?token=} missing or wrong
 *       gives 401; {@code ws.allowedOrigins} set and an {@code Origin} header not in it gives 403 (a
 *       client sending no Origin is not a browser page, which is what the check protects, and passes).</li>
 * </ul>
 *
 * <p>Mount {@link #webSocketHandler()} at {@code GET /ws}, build the HTTP server options with
 * {@link #recommendedServerOptions} so oversized frames get a clean 1009, and listen with {@link #listen} so
 * every shard serves connections.
 */
public final class Fanout {
  private static final Logger log = LoggerFactory.getLogger(Fanout.class);

  private static final short CLOSE_GOING_AWAY = 1001;
  private static final short CLOSE_POLICY = 1008;
  private static final short CLOSE_TOO_BIG = 1009;
  private static final short CLOSE_TRY_LATER = 1013;

  /** Distinct negative ports: Vert.x shares one random port among the servers that listen on the same one. */
  private static final AtomicInteger SHARED_RANDOM_PORT = new AtomicInteger();

  private final Vertx vertx;
  private final FanoutSettings settings;
  private final FanoutLimits limits;
  private final LongSupplier nanoTime;
  private final byte[] token;
  private final Set<String> allowedOrigins;
  private final List<Shard> shards;
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

  // Subscribers of each room over all shards, for the watch listener.
  private final ConcurrentHashMap<Long, Integer> watchers = new ConcurrentHashMap<>();
  private final AtomicInteger connectionCount = new AtomicInteger();
  private final AtomicInteger closingCount = new AtomicInteger();
  private final AtomicInteger encodedCount = new AtomicInteger();

  private final Counter messagesSent;
  private final Counter eventsSent;
  private final Counter repeatsSkipped;
  private final Counter badFrames;
  private final Map<DisconnectReason, Counter> disconnects = new EnumMap<>(DisconnectReason.class);

  /** Told when a room gains its first subscriber or loses its last (on the event loop of the shard that saw it). */
  public interface WatchListener {
    void watched(long roomId, boolean watched);
  }

  private volatile WatchListener watchListener = (roomId, watched) -> {};

  /** Who to tell when a room gains its first subscriber or loses its last (the poller polls watched rooms fast). */
  public void onWatchChange(WatchListener listener) {
    this.watchListener = listener;
  }

  /** One shard per core (at most one per Vert.x event loop). */
  public Fanout(Vertx vertx, FanoutSettings settings, MeterRegistry registry) {
    this(vertx, settings, registry, FanoutLimits.DEFAULTS, System::nanoTime, defaultShards());
  }

  /** With explicit limits and clock, for tests and benchmarks; one shard per core. */
  public Fanout(Vertx vertx, FanoutSettings settings, MeterRegistry registry, FanoutLimits limits,
                LongSupplier nanoTime) {
    this(vertx, settings, registry, limits, nanoTime, defaultShards());
  }

  /**
   * With {@code shardCount} shards: the first on the calling context (the web verticle's), the others on
   * other event loops (fewer when Vert.x has fewer event loops).
   */
  public Fanout(Vertx vertx, FanoutSettings settings, MeterRegistry registry, FanoutLimits limits,
                LongSupplier nanoTime, int shardCount) {
    if (shardCount < 1) {
      throw new IllegalArgumentException("the fan-out needs at least one shard");
    }
    this.vertx = vertx;
    this.settings = settings;
    this.limits = limits;
    this.nanoTime = nanoTime;
    this.token = settings.token().getBytes(StandardCharsets.UTF_8);
    this.allowedOrigins = new HashSet<>();
    for (String origin : settings.allowedOrigins()) {
      allowedOrigins.add(normaliseOrigin(origin));
    }
    List<Shard> built = new ArrayList<>();
    for (Context context : WebSocketInternals.eventLoopContexts(vertx, vertx.getOrCreateContext(), shardCount)) {
      built.add(new Shard(context));
    }
    this.shards = List.copyOf(built);
    Gauge.builder("danmaku.ws.connections", connectionCount, AtomicInteger::get)
        .description("Open WebSocket connections")
        .register(registry);
    messagesSent = Counter.builder("danmaku.ws.messages.sent")
        .description("Danmaku frames written to WebSocket clients, replays included")
        .register(registry);
    eventsSent = Counter.builder("danmaku.ws.events.sent")
        .description("Event frames written to WebSocket clients")
        .register(registry);
    repeatsSkipped = Counter.builder("danmaku.ws.repeats.skipped")
        .description("Committed messages the fan-out already held (re-read at start), not delivered again")
        .register(registry);
    badFrames = Counter.builder("danmaku.ws.bad.frames")
        .description("Client frames answered with an error frame")
        .register(registry);
    for (DisconnectReason reason : DisconnectReason.values()) {
      disconnects.put(reason, Counter.builder("danmaku.ws.disconnects")
          .description("WebSocket connections ended, by reason")
          .tag("reason", reason.tag)
          .register(registry));
    }
  }

  private static int defaultShards() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** How many shards (event loops) serve connections. */
  public int shards() {
    return shards.size();
  }

  /**
   * Sets the HTTP server's WebSocket frame and message bounds just above the fan-out's own message
   * limit. Netty stops reading at a frame over the server's frame size and drops the connection, so the
   * client may see only a reset; with these options a message up to twice the limit is read whole and
   * refused with a clean 1009.
   */
  public static HttpServerOptions recommendedServerOptions(HttpServerOptions options, FanoutLimits limits) {
    int bound = limits.maxMessageBytes() * 2;
    return options.setMaxWebSocketFrameSize(bound).setMaxWebSocketMessageSize(bound);
  }

  /**
   * Listens one HTTP server per shard, each on its shard's event loop, all on the one port of
   * {@code options} (port 0: one random port, shared), so each shard serves its share of the connections.
   * Completes with the first shard's server (its {@code actualPort()} is the port) once all listen;
   * {@link #close()} closes the others.
   */
  public Future<HttpServer> listen(HttpServerOptions options, Handler<HttpServerRequest> handler) {
    HttpServerOptions shared = new HttpServerOptions(options);
    if (shared.getPort() == 0) {
      shared.setPort(-1 - SHARED_RANDOM_PORT.getAndIncrement());
    }
    List<Future<HttpServer>> listening = new ArrayList<>();
    for (Shard shard : shards) {
      Promise<HttpServer> listened = Promise.promise();
      shard.context.runOnContext(v -> vertx.createHttpServer(shared).requestHandler(handler).listen()
          .onComplete(listened));
      listening.add(listened.future());
    }
    return Future.join(listening).transform(all -> {
      if (all.failed()) {
        // The port is taken (or the like): close what did listen, so a failed start leaves nothing open.
        for (Future<HttpServer> server : listening) {
          if (server.succeeded()) {
            server.result().close();
          }
        }
        return Future.failedFuture(all.cause());
      }
      for (int i = 1; i < listening.size(); i++) {
        servers.add(listening.get(i).result());
      }
      return Future.succeededFuture(listening.get(0).result());
    });
  }

  /**
   * Hands committed records to their rooms' subscribers and histories, in the given order (Kafka's). The
   * frames are built once, on the calling thread (the Kafka feed's), then applied in one hop to each shard's
   * event loop; the future completes once every shard applied every record.
   */
  public Future<Void> deliver(List<CommittedRecord> records) {
    List<Frame> frames = new ArrayList<>(records.size());
    for (CommittedRecord record : records) {
      frames.add(switch (record.kind()) {
        case DANMAKU -> new Frame(record.roomId(), record.seq(), danmakuFrame(record.roomId(), record.seq(), record.value()));
        case EVENT -> new Frame(record.roomId(), 0, eventFrame(record.roomId(), record.value()));
      });
    }
    List<Future<Void>> applied = new ArrayList<>(shards.size());
    for (Shard shard : shards) {
      Promise<Void> done = Promise.promise();
      shard.run(() -> {
        try {
          for (Frame frame : frames) {
            if (frame.seq() > 0) {
              shard.deliverDanmaku(frame.roomId(), frame.seq(), frame.bytes());
            } else {
              shard.deliverEvent(frame.roomId(), frame.bytes());
            }
          }
          done.complete();
        } catch (RuntimeException e) {
          // The feed waits for this future: it must complete whatever happened.
          log.error("fan-out: delivering a batch of {} records failed", frames.size(), e);
          done.fail(e);
        }
      });
      applied.add(done.future());
    }
    return Future.all(applied).mapEmpty();
  }

  /**
   * Hands one room message (a record value carrying its {@code seq}) straight to the fan-out, bypassing
   * Kafka: for tests and the direct baseline of the benchmark. The relay itself only uses {@link #deliver}.
   */
  public void publish(long roomId, JsonObject recordValue) {
    if (!(recordValue.getValue("seq") instanceof Number seq) || seq.longValue() < 1) {
      throw new IllegalArgumentException("room " + roomId + ": a record value needs its positive seq");
    }
    Buffer frame = danmakuFrame(roomId, seq.longValue(), recordValue.toBuffer().getBytes());
    for (Shard shard : shards) {
      shard.run(() -> shard.deliverDanmaku(roomId, seq.longValue(), frame));
    }
  }

  /** {@code {"op":"danmaku","room_id":ID,"seq":SEQ,"msg":VALUE}} around the value's bytes as stored. */
  static Buffer danmakuFrame(long roomId, long seq, byte[] value) {
    String head = "{\"op\":\"danmaku\",\"room_id\":" + roomId + ",\"seq\":" + seq + ",\"msg\":";
    return Buffer.buffer(head.length() + value.length + 1)
        .appendString(head, "US-ASCII").appendBytes(value).appendByte((byte) '}');
  }

  /** {@code {"op":"event","room_id":ID,"msg":VALUE}} around the value's bytes as stored. */
  static Buffer eventFrame(long roomId, byte[] value) {
    String head = "{\"op\":\"event\",\"room_id\":" + roomId + ",\"msg\":";
    return Buffer.buffer(head.length() + value.length + 1)
        .appendString(head, "US-ASCII").appendBytes(value).appendByte((byte) '}');
  }

  /** The handler to mount at {@code GET /ws}. */
  public Handler<RoutingContext> webSocketHandler() {
    return this::upgrade;
  }

  /** Open WebSocket connections. */
  public int connections() {
    return connectionCount.get();
  }

  /** Open connections of each shard, in shard order (for tests). */
  List<Integer> connectionsPerShard() {
    return shards.stream().map(shard -> shard.connections.get()).toList();
  }

  /** Open connections whose live frames are the shared encoded bytes (for tests). */
  int encodedConnections() {
    return encodedCount.get();
  }

  /** Connections ended by the fan-out whose TCP connection has not closed yet (for tests). */
  int closingConnections() {
    return closingCount.get();
  }

  /** Closes every connection (1001) and the servers {@link #listen} opened beside the first. */
  public Future<Void> close() {
    List<Future<Void>> closed = new ArrayList<>();
    for (Shard shard : shards) {
      Promise<Void> ended = Promise.promise();
      shard.run(() -> {
        for (Connection connection : new ArrayList<>(shard.open)) {
          connection.end(DisconnectReason.SHUTDOWN, CLOSE_GOING_AWAY, "server shutting down");
        }
        ended.complete();
      });
      closed.add(ended.future());
    }
    for (HttpServer server : servers) {
      closed.add(server.close());
    }
    servers.clear();
    return Future.join(closed).mapEmpty();
  }

  /** The shard whose event loop is the calling thread, or null. */
  private Shard currentShard() {
    for (Shard shard : shards) {
      if (WebSocketInternals.onEventLoopOf(shard.context)) {
        return shard;
      }
    }
    return null;
  }

  private void watchChanged(long roomId, int delta) {
    watchers.compute(roomId, (id, count) -> {
      int now = (count == null ? 0 : count) + delta;
      // Told inside compute: the changes of one room reach the listener in the order they happened.
      if (delta > 0 && now == 1) {
        watchListener.watched(roomId, true);
      } else if (delta < 0 && now == 0) {
        watchListener.watched(roomId, false);
      }
      return now <= 0 ? null : now;
    });
  }

  private record Frame(long roomId, long seq, Buffer bytes) {}

  // ---- upgrade ----

  private void upgrade(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (token.length > 0) {
      String given = request.getParam("token");
      if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
        refuse(ctx, 401, "missing or wrong token");
        return;
      }
    }
    if (!allowedOrigins.isEmpty()) {
      // A browser always sends Origin; a client without one is not a browser page and is not what
      // the check protects against.
      String origin = request.getHeader(HttpHeaders.ORIGIN);
      if (origin != null && !allowedOrigins.contains(normaliseOrigin(origin))) {
        refuse(ctx, 403, "origin not allowed");
        return;
      }
    }
    if (!request.canUpgradeToWebSocket()) {
      refuse(ctx, 400, "expected a WebSocket upgrade");
      return;
    }
    request.toWebSocket().onComplete(ar -> {
      if (ar.succeeded()) {
        ServerWebSocket ws = ar.result();
        // The connection's own event loop when it is a shard's (it is with listen()): its writes then go
        // straight to the channel. A server listened otherwise hands its connections to the first shard.
        Shard shard = currentShard();
        Shard owner = shard != null ? shard : shards.get(0);
        owner.run(() -> owner.accept(ws));
      } else {
        log.debug("ws upgrade from {} failed: {}", request.remoteAddress(), ar.cause().getMessage());
      }
    });
  }

  private static void refuse(RoutingContext ctx, int status, String error) {
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("error", error).encode());
  }

  private static String normaliseOrigin(String origin) {
    String trimmed = origin.trim().toLowerCase(Locale.ROOT);
    return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
  }

  private static final class Room {
    private static final Connection[] NONE = new Connection[0];

    final RoomHistory history;
    final Set<Connection> subscribers = new LinkedHashSet<>();
    final Set<Connection> eventSubscribers = new LinkedHashSet<>();
    // The subscribers as an array, built again after a change: every live frame iterates them, and a
    // subscription changes far less often than a frame arrives.
    private Connection[] liveArray = NONE;
    private boolean liveChanged;

    Room(int historySize) {
      this.history = new RoomHistory(historySize);
    }

    boolean subscribe(Connection connection) {
      boolean added = subscribers.add(connection);
      liveChanged |= added;
      return added;
    }

    boolean unsubscribe(Connection connection) {
      boolean removed = subscribers.remove(connection);
      liveChanged |= removed;
      return removed;
    }

    Connection[] live() {
      if (liveChanged) {
        liveArray = subscribers.toArray(NONE);
        liveChanged = false;
      }
      return liveArray;
    }
  }

  /**
   * One event loop's part of the fan-out: its connections, their rooms and the rooms' histories (every
   * shard holds every room's history, over the same shared frame bytes). Touched only on its event loop.
   */
  private final class Shard {
    final Context context;
    final Map<Long, Room> rooms = new HashMap<>();
    final Set<Connection> open = new LinkedHashSet<>();
    // Ended by us but their TCP connection not yet gone: a client that stopped reading lingers here
    // until the grace period runs out.
    final Set<Connection> closing = new HashSet<>();
    // Connections written to since the last flush, and the list being flushed (swapped, not copied).
    List<Connection> unflushed = new ArrayList<>();
    private List<Connection> flushing = new ArrayList<>();
    // Its open connections, readable from any thread (for tests).
    final AtomicInteger connections = new AtomicInteger();

    Shard(Context context) {
      this.context = context;
    }

    /** Runs {@code action} on this shard's event loop (at once when already there), then flushes what it wrote. */
    void run(Runnable action) {
      if (WebSocketInternals.onEventLoopOf(context)) {
        runAndFlush(action);
      } else {
        context.runOnContext(ignored -> runAndFlush(action));
      }
    }

    private void runAndFlush(Runnable action) {
      try {
        action.run();
      } finally {
        flushAll();
      }
    }

    /** Flushes every connection written to since the last flush, once each. */
    private void flushAll() {
      // A flush that completes at once runs its listener inline, and that may write and run again: take
      // the list first.
      while (!unflushed.isEmpty() && flushing.isEmpty()) {
        List<Connection> batch = unflushed;
        unflushed = flushing;
        flushing = batch;
        for (Connection connection : batch) {
          connection.flush();
        }
        batch.clear();
      }
    }

    void deliverDanmaku(long roomId, long seq, Buffer frame) {
      Room room = rooms.computeIfAbsent(roomId, id -> new Room(settings.historySize()));
      RoomHistory.Offer offer = room.history.offer(seq, frame);
      if (offer == RoomHistory.Offer.REPEATED) {
        if (this == shards.get(0)) {
          repeatsSkipped.increment();
        }
        return;
      }
      if (offer == RoomHistory.Offer.AFTER_HOLE && this == shards.get(0)) {
        log.warn("fan-out room {}: seq jumped to {}: the seqs before it are not in Kafka any more; history restarts there",
            roomId, seq);
      }
      writeToAll(room.live(), frame, messagesSent);
    }

    void deliverEvent(long roomId, Buffer frame) {
      Room room = rooms.get(roomId);
      if (room != null && !room.eventSubscribers.isEmpty()) {
        writeToAll(room.eventSubscribers.toArray(Room.NONE), frame, eventsSent);
      }
    }

    private void writeToAll(Connection[] subscribers, Buffer frame, Counter sent) {
      if (subscribers.length == 0) {
        return;
      }
      List<Connection> tooSlow = null;
      int written = 0;
      // Encoded when the first subscriber that takes encoded frames needs it; released once all are queued
      // (each queued write holds its own reference until Netty has written it).
      WebSocketInternals.EncodedFrame encoded = null;
      try {
        for (Connection connection : subscribers) {
          if (connection.overBound()) {
            if (tooSlow == null) {
              tooSlow = new ArrayList<>();
            }
            tooSlow.add(connection);
          } else if (connection.takesEncoded) {
            if (encoded == null) {
              encoded = connection.writer.encode(frame);
            }
            connection.writeEncoded(encoded);
            written++;
          } else {
            connection.write(frame, false);
            written++;
          }
        }
      } finally {
        if (encoded != null) {
          encoded.release();
        }
      }
      // Counted before the flush: a client cannot read a frame before its flush, which follows this batch.
      sent.increment(written);
      if (tooSlow != null) {
        for (Connection connection : tooSlow) {
          log.info("ws client {} cut off: {} frames / {} bytes not yet flushed",
              connection.ws.remoteAddress(), connection.pendingFrames.get(), connection.pendingBytes.get());
          connection.end(DisconnectReason.SLOW, CLOSE_TRY_LATER, "too slow: reconnect and resume with since");
        }
      }
    }

    void accept(ServerWebSocket ws) {
      Connection connection = new Connection(this, ws);
      if (ws.isClosed()) {
        return;
      }
      open.add(connection);
      connections.incrementAndGet();
      connectionCount.incrementAndGet();
      if (connection.takesEncoded) {
        encodedCount.incrementAndGet();
      }
      ws.frameHandler(frame -> run(() -> connection.onFrame(frame)));
      ws.closeHandler(ignored -> run(() -> {
        if (closing.remove(connection)) {
          closingCount.decrementAndGet();
        }
        connection.end(DisconnectReason.CLIENT, (short) 0, null);
      }));
      ws.exceptionHandler(e -> {
        if (e instanceof CorruptedWebSocketFrameException corrupted) {
          // Netty refused a frame over the server's frame size (or a protocol error) and is about to drop
          // the connection: say why with a close code before it does.
          boolean tooBig = corrupted.closeStatus().code() == CLOSE_TOO_BIG;
          run(() -> connection.end(tooBig ? DisconnectReason.OVERSIZED : DisconnectReason.CLIENT,
              (short) corrupted.closeStatus().code(), tooBig ? "message too big" : "protocol error"));
        } else {
          log.debug("ws client {}: {}", ws.remoteAddress(), e.getMessage());
        }
      });
    }
  }

  /** One client: its subscriptions, unflushed writes, incoming-frame rate and message reassembly. */
  private final class Connection implements WebSocketInternals.FlushListener {
    final Shard shard;
    final ServerWebSocket ws;
    // Null when the channel is out of reach: then every frame goes through Vert.x (a flush each).
    final WebSocketInternals.DirectWriter writer;
    // Its channel's event loop is its shard's: frames go straight to the channel, flushed once per batch.
    final boolean direct;
    // Direct, and no extension negotiated: live frames are the shard's once-encoded wire bytes.
    final boolean takesEncoded;
    final Set<Long> subscribed = new TreeSet<>();
    final FloodGuard flood;
    // Written and not yet reported flushed to the socket. Completed by write/flush listeners, on the
    // shard's event loop or (through Vert.x) on another thread.
    final AtomicInteger pendingFrames = new AtomicInteger();
    final AtomicLong pendingBytes = new AtomicLong();
    // Written since the last flush (direct writes only).
    int unflushedFrames;
    long unflushedBytes;
    // Replays may legitimately put a burst into the queue; it widens the bound until the queue drains.
    long replayAllowanceFrames;
    long replayAllowanceBytes;
    Buffer partial;
    boolean partialIsText;
    boolean ended;

    Connection(Shard shard, ServerWebSocket ws) {
      this.shard = shard;
      this.ws = ws;
      this.writer = WebSocketInternals.DirectWriter.of(ws);
      // Built on the shard's event loop (accept), and a channel never changes event loop.
      this.direct = writer != null && writer.onEventLoop();
      this.takesEncoded = direct && writer.takesEncoded();
      this.flood = new FloodGuard(limits.framesPerSecond(), limits.frameBurst(), nanoTime.getAsLong());
    }

    boolean overBound() {
      if (ended) {
        return false;
      }
      // The connection's own counters first: asking the channel for every frame of every subscriber was a
      // quarter of the event loops' time (JFR), and a client within its bounds never needs the question.
      if (pendingFrames.get() <= limits.maxPendingFrames() + replayAllowanceFrames
          && pendingBytes.get() <= limits.maxPendingBytes() + replayAllowanceBytes) {
        return false;
      }
      return direct ? !writer.writable() : ws.writeQueueFull();
    }

    void write(Buffer frame, boolean replay) {
      if (ended) {
        return;
      }
      int length = frame.length();
      if (replay) {
        replayAllowanceFrames++;
        replayAllowanceBytes += length;
      }
      pendingFrames.incrementAndGet();
      pendingBytes.addAndGet(length);
      if (direct) {
        writer.write(frame);
        queuedUnflushed(length);
      } else {
        ws.writeFrame(WebSocketInternals.sharedTextFrame(frame)).onComplete(ar -> written(1, length));
      }
    }

    /** Writes a live frame's shared wire bytes (only when {@link #takesEncoded}). */
    void writeEncoded(WebSocketInternals.EncodedFrame frame) {
      if (ended) {
        return;
      }
      int length = frame.payloadLength();
      pendingFrames.incrementAndGet();
      pendingBytes.addAndGet(length);
      writer.writeEncoded(frame);
      queuedUnflushed(length);
    }

    private void queuedUnflushed(int length) {
      if (unflushedFrames == 0) {
        shard.unflushed.add(this);
      }
      unflushedFrames++;
      unflushedBytes += length;
    }

    /** Flushes the frames written since the last flush (called by the shard at the end of each action). */
    void flush() {
      int frames = unflushedFrames;
      long bytes = unflushedBytes;
      unflushedFrames = 0;
      unflushedBytes = 0;
      if (frames > 0) {
        writer.flush(frames, bytes, this);
      }
    }

    @Override
    public void flushed(int frames, long bytes) {
      written(frames, bytes);
    }

    private void written(int frames, long bytes) {
      pendingBytes.addAndGet(-bytes);
      if (pendingFrames.addAndGet(-frames) == 0) {
        shard.run(this::queueDrained);
      }
    }

    private void queueDrained() {
      if (pendingFrames.get() == 0) {
        replayAllowanceFrames = 0;
        replayAllowanceBytes = 0;
      }
    }

    void send(JsonObject control) {
      write(control.toBuffer(), false);
    }

    void onFrame(WebSocketFrame frame) {
      if (ended) {
        return;
      }
      WebSocketFrameType type = frame.type();
      if (type == WebSocketFrameType.PING || type == WebSocketFrameType.PONG || type == WebSocketFrameType.CLOSE) {
        return;
      }
      if (!flood.tryAcquire(nanoTime.getAsLong())) {
        end(DisconnectReason.FLOOD, CLOSE_POLICY, "too many frames");
        return;
      }
      if (type == WebSocketFrameType.CONTINUATION) {
        if (partial == null) {
          return;
        }
        partial.appendBuffer(frame.binaryData());
      } else {
        partialIsText = type == WebSocketFrameType.TEXT;
        partial = Buffer.buffer(frame.binaryData().length()).appendBuffer(frame.binaryData());
      }
      if (partial.length() > limits.maxMessageBytes()) {
        partial = null;
        end(DisconnectReason.OVERSIZED, CLOSE_TOO_BIG, "message too big");
        return;
      }
      if (!frame.isFinal()) {
        return;
      }
      Buffer message = partial;
      partial = null;
      if (!partialIsText) {
        reject("binary frames are not supported: send JSON text frames");
        return;
      }
      handle(ClientRequest.parse(message.toString(StandardCharsets.UTF_8), limits.maxRooms()));
    }

    private void handle(ClientRequest request) {
      if (request instanceof ClientRequest.Subscribe subscribe) {
        subscribe(subscribe);
      } else if (request instanceof ClientRequest.Unsubscribe unsubscribe) {
        for (long roomId : unsubscribe.rooms()) {
          if (subscribed.remove(roomId)) {
            leave(roomId);
          }
        }
        sendSubscribed();
      } else if (request instanceof ClientRequest.Invalid invalid) {
        reject(invalid.error());
      } else {
        send(new JsonObject().put("op", "pong"));
      }
    }

    private void subscribe(ClientRequest.Subscribe request) {
      int adding = 0;
      for (long roomId : request.rooms()) {
        if (!subscribed.contains(roomId)) {
          adding++;
        }
      }
      if (subscribed.size() + adding > limits.maxRooms()) {
        reject("too many rooms: at most " + limits.maxRooms() + " per connection");
        return;
      }
      List<Long> added = new ArrayList<>();
      for (long roomId : request.rooms()) {
        if (subscribed.add(roomId)) {
          added.add(roomId);
        }
      }
      sendSubscribed();
      // Replay and join in one event-loop turn: no publish can fall between them, so no gap, no repeat.
      for (long roomId : added) {
        Room room = shard.rooms.computeIfAbsent(roomId, id -> new Room(settings.historySize()));
        Long since = request.since().get(roomId);
        if (since != null) {
          replay(roomId, room.history, since);
        }
        if (room.subscribe(this)) {
          watchChanged(roomId, 1);
        }
      }
      if (request.events()) {
        for (long roomId : request.rooms()) {
          shard.rooms.computeIfAbsent(roomId, id -> new Room(settings.historySize())).eventSubscribers.add(this);
        }
      }
    }

    private void replay(long roomId, RoomHistory history, long since) {
      if (since > history.lastSeq()) {
        send(new JsonObject().put("op", "error").put("error", "seq ahead of stream")
            .put("room_id", roomId).put("requested", since).put("latest", history.lastSeq()));
        since = 0;
      } else if (since + 1 < history.oldestHeldSeq()) {
        send(new JsonObject().put("op", "error").put("error", "history exhausted")
            .put("room_id", roomId).put("requested", since).put("from_seq", history.oldestHeldSeq()));
      }
      for (Buffer frame : history.after(since)) {
        messagesSent.increment();
        write(frame, true);
      }
    }

    private void sendSubscribed() {
      send(new JsonObject().put("op", "subscribed").put("rooms", new JsonArray(new ArrayList<>(subscribed))));
    }

    private void reject(String error) {
      badFrames.increment();
      send(new JsonObject().put("op", "error").put("error", error));
    }

    private void leave(long roomId) {
      Room room = shard.rooms.get(roomId);
      if (room == null) {
        return;
      }
      if (room.unsubscribe(this)) {
        watchChanged(roomId, -1);
      }
      room.eventSubscribers.remove(this);
      // Rooms nobody publishes to exist only while subscribed, so clients cannot grow the map at will.
      if (room.subscribers.isEmpty() && room.eventSubscribers.isEmpty() && room.history.isEmpty()) {
        shard.rooms.remove(roomId);
      }
    }

    void end(DisconnectReason reason, short code, String closeReason) {
      if (ended) {
        return;
      }
      ended = true;
      partial = null;
      for (long roomId : subscribed) {
        leave(roomId);
      }
      subscribed.clear();
      shard.open.remove(this);
      shard.connections.decrementAndGet();
      connectionCount.decrementAndGet();
      if (takesEncoded) {
        encodedCount.decrementAndGet();
      }
      disconnects.get(reason).increment();
      if (closeReason != null && !ws.isClosed()) {
        log.debug("ws client {} closed: {} ({})", ws.remoteAddress(), closeReason, reason.tag);
        // Frames written in this turn go out before the close frame.
        flush();
        ws.close(code, closeReason);
        // A client that does not read never gets the close frame, let alone answers it, and its
        // unflushed frames stay queued: drop the TCP connection after a grace period. The public API has
        // no way to do that (close() waits for the close frame to be flushed first).
        if (shard.closing.add(this)) {
          closingCount.incrementAndGet();
        }
        vertx.setTimer(Math.max(1, limits.cutOffGraceMillis()), id -> shard.run(() -> {
          if (shard.closing.contains(this) && !WebSocketInternals.dropTransport(ws)) {
            log.debug("ws client {}: cannot reach the channel of {} to drop it", ws.remoteAddress(),
                ws.getClass().getName());
          }
        }));
      }
    }
  }
}
