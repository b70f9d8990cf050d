package io.danmakurelay.push;

import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.poll.UpstreamGate;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one push WebSocket per followed room (SPEC §1b): signed {@code getDanmuInfo}, the auth packet, the
 * heartbeats, decoding, and reconnects over the rotating {@code host_list}: at once after a healthy connection
 * dropped ({@link ImmediateReconnects}), else after a jittered exponential delay, with a new token after -101, new
 * wbi keys after -352, and the shared gate's pause after an IP-wide refusal. Everything runs on the one context it
 * was created on, so a room's callbacks come one at a time; public methods may be called from anywhere.
 */
public final class PushClient {

  private static final Logger log = LoggerFactory.getLogger(PushClient.class);

  /** The real server closes a socket without auth after 5 s; send it at once, give up on the socket at 5 s. */
  static final long AUTH_REPLY_TIMEOUT_MS = 5_000;
  /** Heartbeats sent without a reply before the connection is taken for dead (~2 heartbeats, SPEC ~60 s). */
  static final int MISSED_REPLIES = 2;
  static final int MAX_MESSAGE_BYTES = 1024 * 1024;
  /**
   * WebSockets open at once to one push server (host and port). Vert.x's default is 50 per endpoint, and the
   * rooms of a relay all go to the same first host of {@code host_list}: with that default the 51st room's
   * connect waited in the client's queue until another room's socket closed (1,000 rooms took ~220 s to come
   * up, paced by the simulator's drops). One socket per room, so the bound is the number of rooms a relay can
   * follow on one host: more than the ~28,000 ephemeral ports one IP can use towards it.
   */
  static final int MAX_SOCKETS_PER_HOST = 32_768;
  /**
   * An immediate reconnect opens the new socket once the old one's close frame is written, so that the upstream
   * sees the room's connections one at a time; a write that does not complete (a peer that stopped reading) holds
   * the attempt back this long at most.
   */
  static final long CLOSE_WAIT_MS = 1_000;

  /** The room states of {@code danmaku_push_connections{state}}. */
  public enum State {
    CONNECTING("connecting"), CONNECTED("connected"), RECONNECTING("reconnecting");

    private final String label;

    State(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** The bounded set of reconnect reasons ({@code danmaku_push_reconnects_total{reason}}). */
  static final List<String> REASONS = List.of("closed", "heartbeat_timeout", "token_refused", "malformed",
      "connect_failed", "ip_refused", "danmu_info_failed", "auth_timeout", "auth_failed");

  private final Vertx vertx;
  private final Context context;
  private final RelayConfig.Upstream upstream;
  private final RelayConfig.Push settings;
  private final UpstreamGate gate;
  private final LongSupplier clock;
  private final PushListener listener;
  private final PushUpstream http;
  private final WebSocketClient ws;
  private final ReconnectDelay delays;
  private final ImmediateReconnects immediate;
  private final Counter immediateReconnects;
  private final Random random = new Random();
  private final boolean secure;
  private final Map<Long, Room> rooms = new HashMap<>();
  private final Map<State, Integer> stateCounts = new ConcurrentHashMap<>();
  private final Map<String, Counter> reconnects = new HashMap<>();
  private final Map<String, Counter> malformed = new HashMap<>();
  private final MeterRegistry registry;
  private boolean closed;

  /** Must be created on the context it is to run on (a verticle's, or any event-loop context). */
  public PushClient(Vertx vertx, RelayConfig config, UpstreamGate gate, LongSupplier clock, PushListener listener,
      MeterRegistry registry) {
    this(vertx, config, gate, clock, listener, registry, ImmediateReconnects.defaults());
  }

  /** As above, with the rule and bound of immediate reconnects given (tests). */
  PushClient(Vertx vertx, RelayConfig config, UpstreamGate gate, LongSupplier clock, PushListener listener,
      MeterRegistry registry, ImmediateReconnects immediate) {
    this.vertx = vertx;
    this.immediate = immediate;
    this.context = vertx.getOrCreateContext();
    this.upstream = config.upstream();
    this.settings = config.push();
    this.gate = gate;
    this.clock = clock;
    this.listener = listener;
    this.registry = registry;
    this.http = new PushUpstream(vertx, upstream, gate, clock);
    this.ws = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxMessageSize(MAX_MESSAGE_BYTES).setMaxFrameSize(MAX_MESSAGE_BYTES).setMaxConnections(MAX_SOCKETS_PER_HOST)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, upstream.timeoutMs())));
    this.delays = new ReconnectDelay(settings.reconnectInitialMs(), settings.reconnectMaxMs());
    this.secure = upstream.danmuInfoUrl().startsWith("https");
    for (State s : State.values()) {
      stateCounts.put(s, 0);
      Gauge.builder("danmaku.push.connections", stateCounts, m -> m.get(s)).tag("state", s.label())
          .description("Followed rooms by push connection state").register(registry);
    }
    for (String reason : REASONS) {
      reconnects.put(reason, Counter.builder("danmaku.push.reconnects").tag("reason", reason)
          .description("Push connections lost and reopened, by why").register(registry));
    }
    immediateReconnects = Counter.builder("danmaku.push.reconnects.immediate")
        .description("Push reconnects made at once, without the reconnect delay, after a healthy connection dropped")
        .register(registry);
    for (PacketException.Kind kind : PacketException.Kind.values()) {
      malformed.put(kind.wireName(), Counter.builder("danmaku.push.malformed.frames").tag("kind", kind.wireName())
          .description("Push frames that could not be read, by why").register(registry));
    }
    malformed.put("text", Counter.builder("danmaku.push.malformed.frames").tag("kind", "text")
        .description("Push frames that could not be read, by why").register(registry));
    malformed.put("message", Counter.builder("danmaku.push.malformed.frames").tag("kind", "message")
        .description("Push frames that could not be read, by why").register(registry));
  }

  /** Starts following a room's push stream (real id). Following it again does nothing. */
  public void follow(long roomId) {
    context.runOnContext(v -> {
      if (closed || rooms.containsKey(roomId)) {
        return;
      }
      Room room = new Room(roomId);
      rooms.put(roomId, room);
      room.setState(State.CONNECTING);
      room.open();
    });
  }

  /**
   * Stops following a room's push stream; complete once its socket is closed (at once when none was open), so a
   * caller handing the room to another relay knows this relay's connection is gone first.
   */
  public Future<Void> unfollow(long roomId) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      Room room = rooms.remove(roomId);
      Future<Void> closing = room == null ? Future.succeededFuture() : room.stop();
      closing.onComplete(x -> done.complete());
    });
    return done.future();
  }

  /** The push state of a room, or null when it is not followed. Safe from any thread. */
  public State state(long roomId) {
    Room room = rooms.get(roomId);
    return room == null ? null : room.state;
  }

  /**
   * The wait the room's last reconnect was given (0: at once), or -1 when it has not reconnected or is not
   * followed. Safe from any thread.
   */
  long lastReconnectDelayMs(long roomId) {
    Room room = rooms.get(roomId);
    return room == null ? -1 : room.lastDelayMs;
  }

  /** Closes every connection and the clients; no callback follows. */
  public Future<Void> close() {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      closed = true;
      rooms.values().forEach(r -> {
        r.listenerOff = true;
        r.stop();
      });
      rooms.clear();
      ws.close().compose(x -> http.close()).onComplete(x -> done.complete());
    });
    return done.future();
  }

  /** One room's connection; each attempt has a number so that callbacks of an older one are ignored. */
  private final class Room {
    final long roomId;
    volatile State state;
    PushUpstream.Info info;
    String buvid;
    int hostIndex;
    int failures;
    int attempt;
    WebSocket socket;
    boolean authed;
    long authedAt;
    volatile long lastDelayMs = -1;
    int unanswered;
    long heartbeatTimer = -1;
    long authTimer = -1;
    long reconnectTimer = -1;
    boolean stopped;
    boolean listenerOff;

    Room(long roomId) {
      this.roomId = roomId;
    }

    void setState(State next) {
      if (state != null) {
        stateCounts.merge(state, -1, Integer::sum);
      }
      state = next;
      if (next != null) {
        stateCounts.merge(next, 1, Integer::sum);
      }
    }

    void open() {
      int current = ++attempt;
      http.buvid().compose(b -> {
        buvid = b;
        return info != null ? Future.succeededFuture(info) : fetchInfo(false);
      }).onComplete(done -> {
        if (stopped || current != attempt) {
          return;
        }
        if (done.failed()) {
          retry("danmu_info_failed", done.cause().getMessage(), 0);
        } else if (done.result() instanceof PushUpstream.Info got) {
          info = got;
          connect(current);
        } else if (done.result() instanceof PushUpstream.RiskControl) {
          retry("ip_refused", "getDanmuInfo met risk control", gate.pauseUntil() - clock.getAsLong());
        } else {
          retry("danmu_info_failed", describe(done.result()), 0);
        }
      });
    }

    /** A -352 answer means stale keys: fetch new ones and sign again, once, before counting a failure. */
    private Future<PushUpstream.InfoResult> fetchInfo(boolean retried) {
      return http.danmuInfo(roomId).compose(result -> {
        if (result instanceof PushUpstream.StaleKeys && !retried) {
          log.info("push room {}: getDanmuInfo refused the wbi signature (-352), fetching new keys", roomId);
          return fetchInfo(true);
        }
        return Future.succeededFuture(result);
      });
    }

    private String describe(PushUpstream.InfoResult result) {
      if (result instanceof PushUpstream.Failed f) {
        return f.reason();
      }
      return result instanceof PushUpstream.StaleKeys ? "-352 again with fresh wbi keys" : result.toString();
    }

    void connect(int current) {
      PushUpstream.Host host = info.hosts().get(hostIndex % info.hosts().size());
      WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(host.host())
          .setPort(secure ? host.wssPort() : host.wsPort()).setSsl(secure).setURI("/sub")
          .setTimeout(upstream.timeoutMs());
      upstream.headers().forEach(options::putHeader);
      long sentAt = clock.getAsLong();
      Future<WebSocket> connecting;
      try {
        connecting = ws.connect(options);
      } catch (IllegalStateException clientClosed) {
        // The WebSocket client is closed (Vert.x shutting down before close() ran): nothing to reconnect with.
        connecting = Future.failedFuture(clientClosed);
      }
      connecting.onComplete(done -> {
        if (stopped || current != attempt) {
          if (done.succeeded()) {
            done.result().close();
          }
          return;
        }
        if (done.failed()) {
          hostIndex++;
          if (done.cause() instanceof UpgradeRejectedException rejected && rejected.getStatus() == 412) {
            gate.onRiskControl(clock.getAsLong(), sentAt);
            retry("ip_refused", "the push server refused the relay's IP (HTTP 412)",
                gate.pauseUntil() - clock.getAsLong());
          } else {
            retry("connect_failed", "connect to " + host.host() + " failed: " + done.cause().getMessage(), 0);
          }
          return;
        }
        opened(current, done.result());
      });
    }

    void opened(int current, WebSocket socket) {
      this.socket = socket;
      authed = false;
      unanswered = 0;
      socket.binaryMessageHandler(frame -> {
        if (current == attempt && !stopped) {
          onFrame(frame);
        }
      });
      socket.textMessageHandler(text -> {
        if (current == attempt && !stopped) {
          malformed.get("text").increment();
          lost("malformed", "a text frame");
        }
      });
      socket.closeHandler(v -> {
        if (current == attempt && !stopped) {
          lost("closed", "the server closed the connection"
              + (socket.closeStatusCode() == null ? "" : " (" + socket.closeStatusCode() + ")"));
        }
      });
      socket.exceptionHandler(e -> {
        if (current == attempt && !stopped) {
          lost("closed", "connection error: " + e.getMessage());
        }
      });
      JsonObject auth = new JsonObject().put("uid", upstream.uid()).put("roomid", roomId).put("protover", 3)
          .put("platform", "web").put("type", 2).put("key", info.token()).put("buvid", buvid);
      socket.writeBinaryMessage(Buffer.buffer(PacketCodec.encodeJson(1, PacketCodec.OP_AUTH, auth)));
      authTimer = vertx.setTimer(AUTH_REPLY_TIMEOUT_MS, id -> {
        if (current == attempt && !authed && !stopped) {
          lost("auth_timeout", "no auth reply within " + AUTH_REPLY_TIMEOUT_MS + " ms");
        }
      });
    }

    void onFrame(Buffer frame) {
      List<PacketCodec.Packet> packets;
      try {
        packets = PacketCodec.decode(frame.getBytes());
      } catch (PacketException e) {
        malformed.get(e.kind().wireName()).increment();
        lost("malformed", e.getMessage());
        return;
      }
      for (PacketCodec.Packet p : packets) {
        if (stopped || socket == null) {
          return;
        }
        switch (p.op()) {
          case PacketCodec.OP_AUTH_REPLY -> authReply(p.command());
          case PacketCodec.OP_HEARTBEAT_REPLY -> unanswered = 0;
          case PacketCodec.OP_COMMAND -> {
            if (authed) {
              command(p.command());
            }
          }
          default -> { }
        }
      }
    }

    void authReply(JsonObject body) {
      Object code = body == null ? null : body.getValue("code");
      vertx.cancelTimer(authTimer);
      if (code instanceof Number n && n.intValue() == 0) {
        authed = true;
        authedAt = clock.getAsLong();
        failures = 0;
        setState(State.CONNECTED);
        log.info("push room {}: connected", roomId);
        heartbeat();
        heartbeatTimer = vertx.setPeriodic(settings.heartbeatMs(), id -> heartbeat());
        listener.connected(roomId);
      } else if (code instanceof Number n && n.intValue() == -101) {
        info = null;
        lost("token_refused", "the push server refused the token (-101)");
      } else {
        info = null;
        lost("auth_failed", "auth reply " + body);
      }
    }

    void heartbeat() {
      if (socket == null || stopped) {
        return;
      }
      if (unanswered >= MISSED_REPLIES) {
        lost("heartbeat_timeout", unanswered + " heartbeats without a reply");
        return;
      }
      unanswered++;
      socket.writeBinaryMessage(Buffer.buffer(PacketCodec.encode(1, PacketCodec.OP_HEARTBEAT, new byte[0])));
    }

    void command(JsonObject command) {
      PushCommand decoded = PushCommand.of(command);
      if (decoded instanceof PushCommand.Chat chat) {
        listener.danmaku(roomId, chat.danmaku());
      } else if (decoded instanceof PushCommand.Event event) {
        listener.event(roomId, event.cmd(), event.raw());
      } else if (decoded instanceof PushCommand.Malformed bad) {
        malformed.get("message").increment();
        log.debug("push room {}: skipped a DANMU_MSG: {}", roomId, bad.reason());
      }
    }

    /**
     * The current connection is over: report it, then come back at once when it was healthy and a token of the
     * shared bucket is left (not during a risk-control pause of the relay's IP), else after the reconnect delay.
     */
    void lost(String reason, String detail) {
      boolean wasConnected = authed;
      long now = clock.getAsLong();
      boolean healthy = wasConnected && immediate.healthy(reason, authedAt, now);
      Future<Void> closing = closeSocket();
      if (wasConnected) {
        listener.disconnected(roomId, reason);
      }
      if (healthy && !closed && !stopped && !gate.paused(now) && immediate.tryTake(now)) {
        reconnectAtOnce(reason, detail, closing);
      } else {
        reconnect(reason, detail, 0, !wasConnected);
      }
    }

    /**
     * A healthy connection dropped: the next attempt goes now, and is no failure ({@code failures} stays 0, so if
     * this attempt fails the delay starts at {@code push.reconnectInitialMs}).
     */
    private void reconnectAtOnce(String reason, String detail, Future<Void> closing) {
      int current = ++attempt;
      reconnects.get(reason).increment();
      immediateReconnects.increment();
      lastDelayMs = 0;
      log.info("push room {} {}: {}; reconnecting at once", roomId, reason.replace('_', ' '), detail);
      setState(State.RECONNECTING);
      Runnable again = () -> {
        if (!stopped && current == attempt) {
          vertx.cancelTimer(reconnectTimer);
          open();
        }
      };
      reconnectTimer = vertx.setTimer(CLOSE_WAIT_MS, id -> again.run());
      closing.onComplete(done -> again.run());
    }

    /** An attempt failed before the connection was up (connection info, connect, auth): try again later. */
    void retry(String reason, String detail, long atLeastMs) {
      reconnect(reason, detail, atLeastMs, true);
    }

    private void reconnect(String reason, String detail, long atLeastMs, boolean attemptFailed) {
      closeSocket();
      if (closed || stopped) {
        return;
      }
      if (attemptFailed) {
        listener.attemptFailed(roomId, reason);
      }
      failures++;
      attempt++;
      reconnects.get(reason).increment();
      long delay = Math.max(delays.delayMs(failures, random.nextDouble()), atLeastMs);
      lastDelayMs = delay;
      log.warn("push room {} {}: {}; reconnecting in {} ms", roomId, reason.replace('_', ' '), detail, delay);
      setState(State.RECONNECTING);
      reconnectTimer = vertx.setTimer(delay, id -> {
        if (!stopped) {
          open();
        }
      });
    }

    /** Complete once the socket is closed (or at once when there was none). */
    Future<Void> closeSocket() {
      vertx.cancelTimer(heartbeatTimer);
      vertx.cancelTimer(authTimer);
      heartbeatTimer = -1;
      authed = false;
      if (socket != null) {
        WebSocket s = socket;
        socket = null;
        if (!s.isClosed()) {
          return s.close();
        }
      }
      return Future.succeededFuture();
    }

    /** Complete once the room's socket is closed. */
    Future<Void> stop() {
      stopped = true;
      boolean wasConnected = authed;
      vertx.cancelTimer(reconnectTimer);
      Future<Void> closing = closeSocket();
      setState(null);
      if (wasConnected && !listenerOff) {
        listener.disconnected(roomId, "unfollowed");
      }
      return closing;
    }
  }
}
