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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket fan-out: per-room history, subscriptions, resume, events, slow-client cut-off. Reads
 * committed records (room messages with their durable {@code seq}, and events) and writes SPEC §5 frames
 * to subscribers. All state lives on the event loop of the context that built it (the web verticle's);
 * calls from elsewhere hop onto it, once per batch.
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
 * <p>Mount {@link #webSocketHandler()} at {@code GET /ws} and build the HTTP server with
 * {@link #recommendedServerOptions} so oversized frames get a clean 1009.
 */
public final class Fanout {
  private static final Logger log = LoggerFactory.getLogger(Fanout.class);

  private static final short CLOSE_GOING_AWAY = 1001;
  private static final short CLOSE_POLICY = 1008;
  private static final short CLOSE_TOO_BIG = 1009;
  private static final short CLOSE_TRY_LATER = 1013;

  private final Vertx vertx;
  private final Context owner;
  private final FanoutSettings settings;
  private final FanoutLimits limits;
  private final LongSupplier nanoTime;
  private final byte[] token;
  private final Set<String> allowedOrigins;

  private final Map<Long, Room> rooms = new HashMap<>();
  private final Set<Connection> open = new LinkedHashSet<>();
  // Ended by us but their TCP connection not yet gone: a client that stopped reading lingers here
  // until the grace period runs out.
  private final Set<Connection> closing = new HashSet<>();
  private final AtomicInteger connectionCount = new AtomicInteger();

  private final Counter messagesSent;
  private final Counter eventsSent;
  private final Counter repeatsSkipped;
  private final Counter badFrames;
  private final Map<DisconnectReason, Counter> disconnects = new EnumMap<>(DisconnectReason.class);

  /** Told (on the fan-out's event loop) when a room gains its first subscriber or loses its last. */
  public interface WatchListener {
    void watched(long roomId, boolean watched);
  }

  private volatile WatchListener watchListener = (roomId, watched) -> {};

  /** Who to tell when a room gains its first subscriber or loses its last (the poller polls watched rooms fast). */
  public void onWatchChange(WatchListener listener) {
    this.watchListener = listener;
  }

  public Fanout(Vertx vertx, FanoutSettings settings, MeterRegistry registry) {
    this(vertx, settings, registry, FanoutLimits.DEFAULTS, System::nanoTime);
  }

  /** With explicit limits and clock, for tests and benchmarks. */
  public Fanout(Vertx vertx, FanoutSettings settings, MeterRegistry registry, FanoutLimits limits,
                LongSupplier nanoTime) {
    this.vertx = vertx;
    this.owner = vertx.getOrCreateContext();
    this.settings = settings;
    this.limits = limits;
    this.nanoTime = nanoTime;
    this.token = settings.token().getBytes(StandardCharsets.UTF_8);
    this.allowedOrigins = new HashSet<>();
    for (String origin : settings.allowedOrigins()) {
      allowedOrigins.add(normaliseOrigin(origin));
    }
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
   * Hands committed records to their rooms' subscribers and histories, in the given order (Kafka's). The
   * frames are built on the calling thread (the Kafka feed's), then applied in one hop to the fan-out's
   * event loop; the future completes there once every record was applied.
   */
  public Future<Void> deliver(List<CommittedRecord> records) {
    List<Frame> frames = new ArrayList<>(records.size());
    for (CommittedRecord record : records) {
      frames.add(switch (record.kind()) {
        case DANMAKU -> new Frame(record.roomId(), record.seq(), danmakuFrame(record.roomId(), record.seq(), record.value()));
        case EVENT -> new Frame(record.roomId(), 0, eventFrame(record.roomId(), record.value()));
      });
    }
    Promise<Void> applied = Promise.promise();
    onOwner(() -> {
      try {
        for (Frame frame : frames) {
          if (frame.seq() > 0) {
            deliverDanmaku(frame.roomId(), frame.seq(), frame.bytes());
          } else {
            deliverEvent(frame.roomId(), frame.bytes());
          }
        }
        applied.complete();
      } catch (RuntimeException e) {
        // The feed waits for this future: it must complete whatever happened.
        log.error("fan-out: delivering a batch of {} records failed", frames.size(), e);
        applied.fail(e);
      }
    });
    return applied.future();
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
    onOwner(() -> deliverDanmaku(roomId, seq.longValue(), frame));
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

  /** Connections ended by the fan-out whose TCP connection has not closed yet (for tests). */
  int closingConnections() {
    return closing.size();
  }

  /** Closes every connection. */
  public void close() {
    onOwner(() -> {
      for (Connection connection : new ArrayList<>(open)) {
        connection.end(DisconnectReason.SHUTDOWN, CLOSE_GOING_AWAY, "server shutting down");
      }
    });
  }

  private void onOwner(Runnable action) {
    if (Vertx.currentContext() == owner) {
      action.run();
    } else {
      owner.runOnContext(ignored -> action.run());
    }
  }

  // ---- publishing ----

  private void deliverDanmaku(long roomId, long seq, Buffer frame) {
    Room room = rooms.computeIfAbsent(roomId, id -> new Room(settings.historySize()));
    RoomHistory.Offer offer = room.history.offer(seq, frame);
    if (offer == RoomHistory.Offer.REPEATED) {
      repeatsSkipped.increment();
      return;
    }
    if (offer == RoomHistory.Offer.AFTER_HOLE) {
      log.warn("fan-out room {}: seq jumped to {}: the seqs before it are not in Kafka any more; history restarts there",
          roomId, seq);
    }
    writeToAll(room.subscribers, frame, messagesSent);
  }

  private void deliverEvent(long roomId, Buffer frame) {
    Room room = rooms.get(roomId);
    if (room != null && !room.eventSubscribers.isEmpty()) {
      writeToAll(room.eventSubscribers, frame, eventsSent);
    }
  }

  private void writeToAll(Set<Connection> subscribers, Buffer frame, Counter sent) {
    if (subscribers.isEmpty()) {
      return;
    }
    List<Connection> tooSlow = null;
    for (Connection connection : subscribers) {
      if (connection.overBound()) {
        if (tooSlow == null) {
          tooSlow = new ArrayList<>();
        }
        tooSlow.add(connection);
      } else {
        // Counted before the write: a client can read the frame before write() returns.
        sent.increment();
        connection.write(frame, false);
      }
    }
    if (tooSlow != null) {
      for (Connection connection : tooSlow) {
        log.info("ws client {} cut off: {} frames / {} bytes not yet flushed",
            connection.ws.remoteAddress(), connection.pendingFrames.get(), connection.pendingBytes.get());
        connection.end(DisconnectReason.SLOW, CLOSE_TRY_LATER, "too slow: reconnect and resume with since");
      }
    }
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
        onOwner(() -> accept(ws));
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

  private void accept(ServerWebSocket ws) {
    Connection connection = new Connection(ws);
    if (ws.isClosed()) {
      return;
    }
    open.add(connection);
    connectionCount.incrementAndGet();
    ws.frameHandler(frame -> onOwner(() -> connection.onFrame(frame)));
    ws.closeHandler(ignored -> onOwner(() -> {
      closing.remove(connection);
      connection.end(DisconnectReason.CLIENT, (short) 0, null);
    }));
    ws.exceptionHandler(e -> {
      if (e instanceof CorruptedWebSocketFrameException corrupted) {
        // Netty refused a frame over the server's frame size (or a protocol error) and is about to drop
        // the connection: say why with a close code before it does.
        boolean tooBig = corrupted.closeStatus().code() == CLOSE_TOO_BIG;
        connection.end(tooBig ? DisconnectReason.OVERSIZED : DisconnectReason.CLIENT,
            (short) corrupted.closeStatus().code(), tooBig ? "message too big" : "protocol error");
      } else {
        log.debug("ws client {}: {}", ws.remoteAddress(), e.getMessage());
      }
    });
  }

  private static final class Room {
    final RoomHistory history;
    final Set<Connection> subscribers = new LinkedHashSet<>();
    final Set<Connection> eventSubscribers = new LinkedHashSet<>();

    Room(int historySize) {
      this.history = new RoomHistory(historySize);
    }
  }

  /** One client: its subscriptions, unflushed writes, incoming-frame rate and message reassembly. */
  private final class Connection {
    final ServerWebSocket ws;
    final Set<Long> subscribed = new TreeSet<>();
    final FloodGuard flood;
    // Completed by the socket's write futures, possibly on another thread than the owner's.
    final AtomicInteger pendingFrames = new AtomicInteger();
    final AtomicLong pendingBytes = new AtomicLong();
    // Replays may legitimately put a burst into the queue; it widens the bound until the queue drains.
    long replayAllowanceFrames;
    long replayAllowanceBytes;
    Buffer partial;
    boolean partialIsText;
    boolean ended;

    Connection(ServerWebSocket ws) {
      this.ws = ws;
      this.flood = new FloodGuard(limits.framesPerSecond(), limits.frameBurst(), nanoTime.getAsLong());
    }

    boolean overBound() {
      if (ended || !ws.writeQueueFull()) {
        return false;
      }
      return pendingFrames.get() > limits.maxPendingFrames() + replayAllowanceFrames
          || pendingBytes.get() > limits.maxPendingBytes() + replayAllowanceBytes;
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
      ws.writeFrame(WebSocketInternals.sharedTextFrame(frame)).onComplete(ar -> {
        pendingBytes.addAndGet(-length);
        if (pendingFrames.decrementAndGet() == 0) {
          onOwner(this::queueDrained);
        }
      });
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
        Room room = rooms.computeIfAbsent(roomId, id -> new Room(settings.historySize()));
        Long since = request.since().get(roomId);
        if (since != null) {
          replay(roomId, room.history, since);
        }
        if (room.subscribers.add(this) && room.subscribers.size() == 1) {
          watchListener.watched(roomId, true);
        }
      }
      if (request.events()) {
        for (long roomId : request.rooms()) {
          rooms.computeIfAbsent(roomId, id -> new Room(settings.historySize())).eventSubscribers.add(this);
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
      Room room = rooms.get(roomId);
      if (room == null) {
        return;
      }
      if (room.subscribers.remove(this) && room.subscribers.isEmpty()) {
        watchListener.watched(roomId, false);
      }
      room.eventSubscribers.remove(this);
      // Rooms nobody publishes to exist only while subscribed, so clients cannot grow the map at will.
      if (room.subscribers.isEmpty() && room.eventSubscribers.isEmpty() && room.history.isEmpty()) {
        rooms.remove(roomId);
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
      open.remove(this);
      connectionCount.decrementAndGet();
      disconnects.get(reason).increment();
      if (closeReason != null && !ws.isClosed()) {
        log.debug("ws client {} closed: {} ({})", ws.remoteAddress(), closeReason, reason.tag);
        ws.close(code, closeReason);
        // A client that does not read never gets the close frame, let alone answers it, and its
        // unflushed frames stay queued: drop the TCP connection after a grace period. The public API has
        // no way to do that (close() waits for the close frame to be flushed first).
        closing.add(this);
        vertx.setTimer(Math.max(1, limits.cutOffGraceMillis()), id -> {
          if (closing.contains(this) && !WebSocketInternals.dropTransport(ws)) {
            log.debug("ws client {}: cannot reach the channel of {} to drop it", ws.remoteAddress(),
                ws.getClass().getName());
          }
        });
      }
    }
  }
}
