package io.danmakurelay.sim;

import io.danmakurelay.upstream.WbiSigner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The push side's shared state (SPEC §7): wbi keys, per-room tokens, each room's non-chat commands as a
 * seeded Poisson process, the push faults ordered through {@code /sim/control}, and the ground truth of
 * every connection (what was pushed to it, its heartbeats, why it closed). Thread-safe: the connections
 * live on several event loops.
 */
final class PushHub {

  /** Non-chat commands per second of a room with a connection. */
  static final double EVENT_RATE = 0.5;
  static final String[] GARBAGE_KINDS = {"truncated", "length", "bomb", "nonjson", "unknowncmd", "binary", "text"};

  private final TrafficModel model;
  private final long seed;
  private volatile int keyGeneration;
  private volatile String imgKey;
  private volatile String subKey;
  private volatile WbiSigner signer;

  private final Map<Long, Set<String>> tokens = new HashMap<>();
  private final AtomicLong tokenCounter = new AtomicLong();

  private final Map<Long, RoomEvents> events = new ConcurrentHashMap<>();
  private final AtomicInteger nextConnectionId = new AtomicInteger();
  private final Map<Integer, Record> records = new ConcurrentHashMap<>();
  private final Map<Integer, Live> live = new ConcurrentHashMap<>();
  /** Per room: its authenticated connections open now, and the most ever open at once. */
  private final Map<Long, RoomConnections> roomConnections = new ConcurrentHashMap<>();

  private volatile long dropEveryMinMs;
  private volatile long dropEveryMaxMs;
  private volatile boolean silentAll;
  private volatile int deadHostPort;
  private final Set<Long> silentRooms = ConcurrentHashMap.newKeySet();
  private final Map<Long, Deque<String>> garbage = new HashMap<>();
  private final Map<Long, Boolean> liveStatus = new ConcurrentHashMap<>();

  final AtomicLong navRequests = new AtomicLong();
  final AtomicLong danmuInfoRequests = new AtomicLong();
  final AtomicLong danmuInfoRefused = new AtomicLong();
  final AtomicLong spiRequests = new AtomicLong();
  final AtomicLong authRefused = new AtomicLong();

  /** What a live connection lets the hub do to it from any thread. */
  interface Live {
    long room();

    /** Closes it on its own event loop, recording {@code reason}. */
    void drop(String reason);
  }

  PushHub(TrafficModel model, long seed) {
    this.model = model;
    this.seed = seed;
    rotateKeys();
  }

  // ---- wbi keys and tokens ----

  synchronized void rotateKeys() {
    SplittableRandom rng = new SplittableRandom(seed * 31 + keyGeneration);
    imgKey = hex(rng, 32);
    subKey = hex(rng, 32);
    signer = new WbiSigner(imgKey, subKey);
    keyGeneration++;
  }

  int keyGeneration() {
    return keyGeneration;
  }

  WbiSigner signer() {
    return signer;
  }

  String navBody() {
    return "{\"code\":-101,\"message\":\"账号未登录\",\"ttl\":1,\"data\":{\"isLogin\":false,\"wbi_img\":{"
        + "\"img_url\":\"https://i0.hdslb.com/bfs/wbi/" + imgKey + ".png\","
        + "\"sub_url\":\"https://i0.hdslb.com/bfs/wbi/" + subKey + ".png\"}}}";
  }

  synchronized String issueToken(long room) {
    String token = hex(new SplittableRandom(seed ^ tokenCounter.incrementAndGet() * 0x9E3779B97F4A7C15L), 48)
        + "_" + room;
    Set<String> valid = tokens.computeIfAbsent(room, r -> new HashSet<>());
    if (valid.size() >= 64) {
      valid.clear();
    }
    valid.add(token);
    return token;
  }

  synchronized boolean tokenValid(long room, String token) {
    Set<String> valid = tokens.get(room);
    return valid != null && valid.contains(token);
  }

  /** Every token handed out so far (for one room, or all) stops working: the next auth gets -101. */
  synchronized void refuseTokens(Long room) {
    if (room == null) {
      tokens.clear();
    } else {
      tokens.remove(room);
    }
  }

  // ---- events ----

  /** A room's non-chat commands, generated lazily up to the time asked, handed to its listeners. */
  private static final class RoomEvents {
    final long room;
    final SplittableRandom rng;
    final List<Consumer<JsonObject>> listeners = new CopyOnWriteArrayList<>();
    double nextAtMs;
    long counter;

    RoomEvents(long room, SplittableRandom rng, long nowMs) {
      this.room = room;
      this.rng = rng;
      this.nextAtMs = nowMs + gap();
    }

    double gap() {
      return -Math.log(1.0 - rng.nextDouble()) / EVENT_RATE * 1000.0;
    }

    String nextId() {
      return room + "-" + (++counter);
    }
  }

  private RoomEvents eventsOf(long room, long nowMs) {
    return events.computeIfAbsent(room, r -> new RoomEvents(r, new SplittableRandom(seed * 7919 + r), nowMs));
  }

  AutoCloseable subscribeEvents(long room, long nowMs, Consumer<JsonObject> listener) {
    RoomEvents e = eventsOf(room, nowMs);
    synchronized (e) {
      advanceEvents(e, nowMs);
      e.listeners.add(listener);
    }
    return () -> e.listeners.remove(listener);
  }

  void advanceEvents(long room, long nowMs) {
    RoomEvents e = eventsOf(room, nowMs);
    synchronized (e) {
      advanceEvents(e, nowMs);
    }
  }

  private void advanceEvents(RoomEvents e, long nowMs) {
    if (model.paused()) {
      // A paused simulator sends nothing: the time passes without commands, as it does without messages.
      while (e.nextAtMs <= nowMs) {
        e.nextAtMs += e.gap();
      }
      return;
    }
    while (e.nextAtMs <= nowMs) {
      long at = (long) e.nextAtMs;
      JsonObject command = PushCommands.randomEvent(e.rng, e.room, at, e.nextId());
      e.listeners.forEach(l -> l.accept(command));
      e.nextAtMs += e.gap();
    }
  }

  /** {@code LIVE} or {@code PREPARING} to every connection of the room, now. */
  void setLive(long room, boolean isLive, long nowMs) {
    liveStatus.put(room, isLive);
    RoomEvents e = eventsOf(room, nowMs);
    synchronized (e) {
      advanceEvents(e, nowMs);
      JsonObject command = PushCommands.liveStatus(isLive, room, nowMs, e.nextId());
      e.listeners.forEach(l -> l.accept(command));
    }
  }

  /** The room's live_status for room_init: 1 live (the default), 0 after PREPARING. */
  int liveStatus(long room) {
    return liveStatus.getOrDefault(room, true) ? 1 : 0;
  }

  // ---- faults ----

  void dropEvery(long minMs, long maxMs) {
    dropEveryMinMs = minMs;
    dropEveryMaxMs = maxMs;
  }

  /** Whether timed drops are on: turning them off also cancels the drops already scheduled. */
  boolean dropping() {
    return dropEveryMinMs > 0 && dropEveryMaxMs >= dropEveryMinMs;
  }

  /** When a connection opened at {@code nowMs} is to be dropped (ms), or Long.MAX_VALUE. */
  long dropAt(long nowMs, SplittableRandom rng) {
    long min = dropEveryMinMs;
    long max = dropEveryMaxMs;
    if (min <= 0 || max < min) {
      return Long.MAX_VALUE;
    }
    return nowMs + min + (max > min ? rng.nextLong(max - min + 1) : 0);
  }

  int drop(Long room) {
    int n = 0;
    // The connections live when the fault is asked for: a client dropped earlier in this loop may reconnect (on
    // another event loop) before it ends, and that new connection must not be dropped as well.
    for (Live c : List.copyOf(live.values())) {
      if (room == null || c.room() == room) {
        c.drop("fault");
        n++;
      }
    }
    return n;
  }

  /** A port that refuses connections, listed first in every {@code host_list} from now on (0: none). */
  void deadHost(int port) {
    deadHostPort = port;
  }

  int deadHostPort() {
    return deadHostPort;
  }

  void silent(Long room, boolean on) {
    if (room == null) {
      silentAll = on;
      if (!on) {
        silentRooms.clear();
      }
    } else if (on) {
      silentRooms.add(room);
    } else {
      silentRooms.remove(room);
    }
  }

  boolean silent(long room) {
    return silentAll || silentRooms.contains(room);
  }

  synchronized void orderGarbage(Long room, String kind) {
    garbage.computeIfAbsent(room == null ? -1L : room, r -> new ArrayDeque<>()).add(kind);
  }

  /** The next malformed frame ordered for this room (its own order first, then any room's), or null. */
  synchronized String takeGarbage(long room) {
    Deque<String> own = garbage.get(room);
    if (own != null && !own.isEmpty()) {
      return own.poll();
    }
    Deque<String> any = garbage.get(-1L);
    return any == null ? null : any.poll();
  }

  // ---- ground truth ----

  /** One connection's ground truth. Mutated only on its connection's event loop; read under its lock. */
  static final class Record {
    final int id;
    final long openedAt;
    long room = -1;
    long authedAt;
    long closedAt;
    String closeReason = "";
    String authError = "";
    int protover;
    long uid;
    String buvid = "";
    String authPacket = "";
    int heartbeats;
    final Deque<Long> heartbeatAt = new ArrayDeque<>();
    int[] messageSeqs = new int[16];
    int messages;
    final List<String> eventIds = new ArrayList<>();
    final List<String> eventCmds = new ArrayList<>();
    int garbageFrames;

    Record(int id, long openedAt) {
      this.id = id;
      this.openedAt = openedAt;
    }

    synchronized void pushed(int seq) {
      if (messages == messageSeqs.length) {
        messageSeqs = Arrays.copyOf(messageSeqs, messages * 2);
      }
      messageSeqs[messages++] = seq;
    }

    synchronized void pushedEvent(String simId, String cmd) {
      eventIds.add(simId);
      eventCmds.add(cmd);
    }

    synchronized void heartbeat(long at) {
      heartbeats++;
      heartbeatAt.add(at);
      if (heartbeatAt.size() > 20) {
        heartbeatAt.poll();
      }
    }

    synchronized PushConnectionStats snapshot() {
      return new PushConnectionStats(id, room, openedAt, authedAt, closedAt, closeReason, authError, protover, uid,
          buvid, authPacket, heartbeats, List.copyOf(heartbeatAt), Arrays.copyOf(messageSeqs, messages), List.copyOf(eventIds),
          List.copyOf(eventCmds), garbageFrames);
    }
  }

  Record open(long nowMs) {
    Record r = new Record(nextConnectionId.incrementAndGet(), nowMs);
    records.put(r.id, r);
    return r;
  }

  void live(int id, Live connection) {
    live.put(id, connection);
  }

  /** One room's authenticated connections: how many are open now, and the most ever open at once. */
  private static final class RoomConnections {
    int open;
    int peak;
  }

  /** A connection of {@code room} authenticated (call once per connection, before {@link #deauthed}). */
  void authed(long room) {
    RoomConnections c = roomConnections.computeIfAbsent(room, r -> new RoomConnections());
    synchronized (c) {
      c.open++;
      c.peak = Math.max(c.peak, c.open);
    }
  }

  /** An authenticated connection of {@code room} closed. */
  void deauthed(long room) {
    RoomConnections c = roomConnections.get(room);
    if (c != null) {
      synchronized (c) {
        c.open--;
      }
    }
  }

  /** The room's authenticated connections open now and the most ever open at once: {open, peak}. */
  int[] roomConnections(long room) {
    RoomConnections c = roomConnections.get(room);
    if (c == null) {
      return new int[] {0, 0};
    }
    synchronized (c) {
      return new int[] {c.open, c.peak};
    }
  }

  void closed(int id) {
    live.remove(id);
  }

  int liveConnections() {
    return live.size();
  }

  List<PushConnectionStats> snapshot() {
    List<PushConnectionStats> out = new ArrayList<>(records.size());
    records.values().forEach(r -> out.add(r.snapshot()));
    out.sort((a, b) -> Integer.compare(a.id(), b.id()));
    return out;
  }

  /** The {@code push} part of {@code /sim/stats}; with {@code details}, every pushed id per connection. */
  JsonObject statsJson(boolean details) {
    JsonArray connections = new JsonArray();
    for (PushConnectionStats c : snapshot()) {
      JsonObject one = new JsonObject().put("id", c.id()).put("room_id", c.room()).put("opened_at", c.openedAt())
          .put("authed_at", c.authedAt()).put("closed_at", c.closedAt()).put("close_reason", c.closeReason())
          .put("auth_error", c.authError()).put("protover", c.protover()).put("heartbeats", c.heartbeats())
          .put("heartbeat_at", new JsonArray(new ArrayList<>(c.heartbeatAt()))).put("messages", c.messageSeqs().length)
          .put("events", c.eventIds().size()).put("garbage_frames", c.garbageFrames());
      if (details) {
        JsonArray ids = new JsonArray();
        for (int seq : c.messageSeqs()) {
          ids.add(seq);
        }
        one.put("message_seqs", ids).put("event_ids", new JsonArray(new ArrayList<>(c.eventIds())))
            .put("event_cmds", new JsonArray(new ArrayList<>(c.eventCmds())));
      }
      connections.add(one);
    }
    return new JsonObject().put("live_connections", liveConnections()).put("key_generation", keyGeneration)
        .put("nav_requests", navRequests.get()).put("danmu_info_requests", danmuInfoRequests.get())
        .put("danmu_info_refused", danmuInfoRefused.get()).put("spi_requests", spiRequests.get())
        .put("auth_refused", authRefused.get()).put("connections", connections);
  }

  TrafficModel model() {
    return model;
  }

  private static String hex(SplittableRandom rng, int chars) {
    StringBuilder out = new StringBuilder(chars);
    for (int i = 0; i < chars; i++) {
      out.append(Character.forDigit(rng.nextInt(16), 16));
    }
    return out.toString();
  }
}
