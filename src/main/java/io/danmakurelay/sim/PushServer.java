package io.danmakurelay.sim;

import io.danmakurelay.push.PacketCodec;
import io.danmakurelay.push.PacketException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The push endpoints of one simulator HTTP instance (SPEC §7): {@code nav}, {@code getDanmuInfo},
 * {@code finger/spi} and the WebSocket {@code /sub}. Connections live on this instance's event loop; a
 * ticker packs each one's new messages and commands into brotli or zlib frames of several packets.
 */
final class PushServer {

  static final String NAV = "/x/web-interface/nav";
  static final String DANMU_INFO = "/xlive/web-room/v1/index/getDanmuInfo";
  static final String SPI = "/x/frontend/finger/spi";
  static final String SUB = "/sub";

  static final long TICK_MS = 50;
  static final long AUTH_TIMEOUT_MS = 5_000;
  static final long HEARTBEAT_TIMEOUT_MS = 70_000;
  /** Packets per compressed body, as the real server batches a busy room. */
  static final int PACKETS_PER_BODY = 12;

  private final Vertx vertx;
  private final SimulatorCore core;
  private final PushHub hub;
  private final Map<Integer, Connection> connections = new HashMap<>();
  private final SplittableRandom rng;
  private long ticker = -1;

  PushServer(Vertx vertx, SimulatorCore core, long instanceSeed) {
    this.vertx = vertx;
    this.core = core;
    this.hub = core.push;
    this.rng = new SplittableRandom(instanceSeed);
  }

  void start() {
    ticker = vertx.setPeriodic(TICK_MS, id -> tick());
  }

  void stop() {
    if (ticker >= 0) {
      vertx.cancelTimer(ticker);
    }
    new ArrayList<>(connections.values()).forEach(c -> c.close("shutdown"));
  }

  static boolean handles(String path) {
    return path.equals(NAV) || path.equals(DANMU_INFO) || path.equals(SPI) || path.equals(SUB);
  }

  /** Answers a push path; the caller has done risk control (except for /sub, whose upgrade it checks). */
  void handle(HttpServerRequest req, String path) {
    switch (path) {
      case NAV -> {
        hub.navRequests.incrementAndGet();
        json(req, hub.navBody());
      }
      case SPI -> {
        hub.spiRequests.incrementAndGet();
        String b3 = String.format("%08X-%04X-%04X-%04X-%012X%05dinfoc", rng.nextInt(), rng.nextInt(0x10000),
            rng.nextInt(0x10000), rng.nextInt(0x10000), rng.nextLong(1L << 48), rng.nextInt(100_000));
        json(req, "{\"code\":0,\"data\":{\"b_3\":\"" + b3 + "\",\"b_4\":\"" + Long.toHexString(rng.nextLong())
            + "\"},\"message\":\"ok\"}");
      }
      case DANMU_INFO -> danmuInfo(req);
      default -> upgrade(req);
    }
  }

  private void danmuInfo(HttpServerRequest req) {
    hub.danmuInfoRequests.incrementAndGet();
    Map<String, String> params = new HashMap<>();
    req.params().forEach(e -> params.putIfAbsent(e.getKey(), e.getValue()));
    if (!hub.signer().verify(params)) {
      hub.danmuInfoRefused.incrementAndGet();
      json(req, SimulatorHttpVerticle.CODE_352);
      return;
    }
    long room = parse(params.get("id"));
    long real = room < 0 ? -1 : core.model.resolve(room);
    if (real < 0) {
      json(req, SimulatorHttpVerticle.ROOM_NOT_FOUND);
      return;
    }
    String host = core.settings.host();
    int port = req.localAddress().port();
    String entry = hostEntry(host, port);
    int dead = hub.deadHostPort();
    String hosts = (dead > 0 ? hostEntry(host, dead) + "," : "") + entry + "," + entry;
    json(req, "{\"code\":0,\"message\":\"0\",\"ttl\":1,\"data\":{\"group\":\"live\",\"business_id\":0,"
        + "\"refresh_row_factor\":0.125,\"refresh_rate\":100,\"max_delay\":5000,\"token\":\"" + hub.issueToken(real)
        + "\",\"host_list\":[" + hosts + "]}}");
  }

  private static String hostEntry(String host, int port) {
    return "{\"host\":\"" + host + "\",\"port\":" + port + ",\"wss_port\":" + port + ",\"ws_port\":" + port + "}";
  }

  private void upgrade(HttpServerRequest req) {
    if (core.risk.banned(core.now())) {
      req.response().setStatusCode(412).putHeader("Content-Type", SimulatorHttpVerticle.HTML)
          .end(SimulatorHttpVerticle.RISK_CONTROL_PAGE);
      return;
    }
    req.toWebSocket().onSuccess(ws -> {
      Connection c = new Connection(ws, hub.open(core.now()));
      connections.put(c.record.id, c);
      hub.live(c.record.id, c);
    });
  }

  private void tick() {
    long now = core.now();
    long wall = System.currentTimeMillis();
    for (Connection c : new ArrayList<>(connections.values())) {
      if (!c.authed) {
        continue;
      }
      core.model.advanceTo(c.room, now);
      hub.advanceEvents(c.room, now);
      c.flush();
      String kind = hub.takeGarbage(c.room);
      if (kind != null) {
        c.garbage(kind);
      }
      if (wall >= c.dropAt && hub.dropping()) {
        c.close("drop");
      } else if (wall - c.lastHeartbeatWall > HEARTBEAT_TIMEOUT_MS) {
        c.close("heartbeat-timeout");
      }
    }
  }

  /** One client connection; every method runs on this instance's event loop except {@link #drop}. */
  private final class Connection implements PushHub.Live {
    final ServerWebSocket ws;
    final PushHub.Record record;
    final ConcurrentLinkedQueue<Object> pending = new ConcurrentLinkedQueue<>();
    final long authTimer;
    final List<AutoCloseable> subscriptions = new ArrayList<>(2);
    volatile long room = -1;
    boolean authed;
    boolean closed;
    int protover;
    long dropAt = Long.MAX_VALUE;
    long lastHeartbeatWall = System.currentTimeMillis();
    int frames;

    Connection(ServerWebSocket ws, PushHub.Record record) {
      this.ws = ws;
      this.record = record;
      authTimer = vertx.setTimer(AUTH_TIMEOUT_MS, id -> {
        if (!authed) {
          refuse("no auth packet within " + AUTH_TIMEOUT_MS + " ms", "auth-timeout");
        }
      });
      ws.binaryMessageHandler(this::onFrame);
      ws.textMessageHandler(text -> refuse("text frame", "bad-frame"));
      ws.closeHandler(v -> close("client"));
      ws.exceptionHandler(e -> close("error"));
    }

    @Override
    public long room() {
      return room;
    }

    @Override
    public void drop(String reason) {
      vertx.runOnContext(v -> close(reason));
    }

    private void onFrame(Buffer frame) {
      if (closed) {
        return;
      }
      if (!authed) {
        synchronized (record) {
          if (record.authPacket.isEmpty()) {
            record.authPacket = java.util.HexFormat.of().formatHex(frame.getBytes(0, Math.min(frame.length(), 4096)));
          }
        }
      }
      List<PacketCodec.Packet> packets;
      try {
        packets = PacketCodec.decode(frame.getBytes(), 64 * 1024);
      } catch (PacketException e) {
        refuse(e.getMessage(), "bad-frame");
        return;
      }
      for (PacketCodec.Packet p : packets) {
        if (!authed) {
          auth(p);
          if (!authed) {
            return;
          }
        } else if (p.op() == PacketCodec.OP_HEARTBEAT) {
          lastHeartbeatWall = System.currentTimeMillis();
          record.heartbeat(lastHeartbeatWall);
          if (!hub.silent(room)) {
            byte[] popularity = ByteBuffer.allocate(4).putInt(1 + (int) (room % 1000) * 7).array();
            ws.writeBinaryMessage(Buffer.buffer(PacketCodec.encode(1, PacketCodec.OP_HEARTBEAT_REPLY, popularity)));
          }
        }
      }
    }

    private void auth(PacketCodec.Packet p) {
      JsonObject body = p.command();
      if (p.op() != PacketCodec.OP_AUTH || body == null) {
        refuse("first packet is operation " + p.op() + ", not auth (7)", "bad-auth");
        return;
      }
      Object roomId = body.getValue("roomid");
      Object key = body.getValue("key");
      Object version = body.getValue("protover");
      Object uid = body.getValue("uid");
      Object buvid = body.getValue("buvid");
      synchronized (record) {
        record.protover = version instanceof Number n ? n.intValue() : -1;
        record.uid = uid instanceof Number n ? n.longValue() : -1;
        record.buvid = buvid instanceof String s ? s : "";
      }
      if (!(roomId instanceof Number n) || !core.model.isRealId(n.longValue())) {
        refuse("roomid is not a real room id", "bad-auth");
        return;
      }
      if (!(version instanceof Number v) || v.intValue() < 0 || v.intValue() > 3 || !(uid instanceof Number)
          || !(key instanceof String)) {
        refuse("auth packet lacks protover 0..3, uid or key", "bad-auth");
        return;
      }
      long real = n.longValue();
      if (!hub.tokenValid(real, (String) key)) {
        hub.authRefused.incrementAndGet();
        synchronized (record) {
          record.room = real;
          record.authError = "token";
        }
        ws.writeBinaryMessage(Buffer.buffer(PacketCodec.encodeJson(1, PacketCodec.OP_AUTH_REPLY,
            new JsonObject().put("code", -101))));
        close("token");
        return;
      }
      vertx.cancelTimer(authTimer);
      protover = v.intValue();
      room = real;
      authed = true;
      long now = core.now();
      synchronized (record) {
        record.room = real;
        record.authedAt = now;
      }
      hub.authed(real);
      dropAt = hub.dropAt(System.currentTimeMillis(), rng);
      ws.writeBinaryMessage(Buffer.buffer(PacketCodec.encodeJson(1, PacketCodec.OP_AUTH_REPLY,
          new JsonObject().put("code", 0))));
      subscriptions.add(core.model.subscribe(real, now, pending::add));
      subscriptions.add(hub.subscribeEvents(real, now, pending::add));
    }

    /** Writes what is pending as frames of compressed bodies of several packets. */
    void flush() {
      if (closed || pending.isEmpty()) {
        return;
      }
      List<byte[]> body = new ArrayList<>(PACKETS_PER_BODY);
      List<byte[]> frame = new ArrayList<>(2);
      Object next;
      long anchor = core.model.anchorUidOf(room);
      while ((next = pending.poll()) != null) {
        JsonObject command;
        if (next instanceof SimMessage m) {
          command = PushCommands.danmuMsg(m, anchor);
          record.pushed(m.seq());
        } else {
          command = (JsonObject) next;
          record.pushedEvent(command.getString("sim_id"), command.getString("cmd"));
        }
        body.add(PacketCodec.encodeJson(0, PacketCodec.OP_COMMAND, command));
        if (body.size() == PACKETS_PER_BODY) {
          frame.add(pack(body));
          body.clear();
          if (frame.size() == 2) {
            write(frame);
          }
        }
      }
      if (!body.isEmpty()) {
        frame.add(pack(body));
      }
      if (!frame.isEmpty()) {
        write(frame);
      }
    }

    private byte[] pack(List<byte[]> packets) {
      byte[] plain = PacketCodec.concat(packets);
      int version = switch (protover) {
        case 3 -> frames++ % 2 == 0 ? PacketCodec.VERSION_BROTLI : PacketCodec.VERSION_ZLIB;
        case 2 -> PacketCodec.VERSION_ZLIB;
        default -> -1;
      };
      return version < 0 ? plain : PacketCodec.compressed(version, plain);
    }

    private void write(List<byte[]> frame) {
      ws.writeBinaryMessage(Buffer.buffer(PacketCodec.concat(frame)));
      frame.clear();
    }

    void garbage(String kind) {
      synchronized (record) {
        record.garbageFrames++;
      }
      byte[] good = PacketCodec.encodeJson(0, PacketCodec.OP_COMMAND, new JsonObject().put("cmd", "NOTICE_MSG"));
      switch (kind) {
        case "truncated" -> ws.writeBinaryMessage(Buffer.buffer(good).getBuffer(0, 10));
        case "length" -> ws.writeBinaryMessage(Buffer.buffer(good).getBuffer(0, good.length - 5));
        case "bomb" -> ws.writeBinaryMessage(Buffer.buffer(PacketCodec.compressed(PacketCodec.VERSION_BROTLI,
            PacketCodec.encode(0, PacketCodec.OP_COMMAND, new byte[16 * 1024 * 1024]))));
        case "nonjson" -> ws.writeBinaryMessage(Buffer.buffer(PacketCodec.encode(0, PacketCodec.OP_COMMAND,
            "<html>not json</html>".getBytes(StandardCharsets.UTF_8))));
        case "unknowncmd" -> ws.writeBinaryMessage(Buffer.buffer(PacketCodec.encodeJson(0, PacketCodec.OP_COMMAND,
            new JsonObject().put("cmd", "SIM_UNKNOWN_CMD_" + record.garbageFrames).put("data", new JsonObject())
                .put("sim_id", room + "-garbage-" + record.id + "-" + record.garbageFrames))));
        case "text" -> ws.writeTextMessage("{\"cmd\":\"DANMU_MSG\"}");
        default -> {
          byte[] noise = new byte[64];
          rng.nextBytes(noise);
          ws.writeBinaryMessage(Buffer.buffer(noise));
        }
      }
      if (kind.equals("unknowncmd")) {
        record.pushedEvent(room + "-garbage-" + record.id + "-" + record.garbageFrames,
            "SIM_UNKNOWN_CMD_" + record.garbageFrames);
      }
    }

    private void refuse(String why, String reason) {
      synchronized (record) {
        if (record.authError.isEmpty()) {
          record.authError = why;
        }
      }
      close(reason);
    }

    void close(String reason) {
      if (closed) {
        return;
      }
      closed = true;
      vertx.cancelTimer(authTimer);
      for (AutoCloseable s : subscriptions) {
        try {
          s.close();
        } catch (Exception ignored) {
          // closing a subscription only removes a listener from a list
        }
      }
      pending.clear();
      synchronized (record) {
        record.closedAt = core.now();
        record.closeReason = reason;
      }
      connections.remove(record.id);
      hub.closed(record.id);
      if (authed) {
        hub.deauthed(room);
      }
      if (!ws.isClosed()) {
        ws.close();
      }
    }
  }

  private static void json(HttpServerRequest req, String body) {
    req.response().setStatusCode(200).putHeader("Content-Type", SimulatorHttpVerticle.JSON).end(body);
  }

  private static long parse(String value) {
    if (value == null || value.isEmpty() || value.length() > 18) {
      return -1;
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        return -1;
      }
    }
    return Long.parseLong(value);
  }
}
