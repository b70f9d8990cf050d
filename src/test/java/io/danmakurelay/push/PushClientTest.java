package io.danmakurelay.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.sim.PushConnectionStats;
import io.danmakurelay.sim.SimMessage;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.upstream.Danmaku;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The push client against the simulator over real sockets. */
@DisplayName("The push client against the simulator")
class PushClientTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  Vertx simVertx;
  Vertx vertx;
  Simulator sim;
  PushClient client;
  UpstreamGate gate;
  SimpleMeterRegistry registry;
  final Recorder recorder = new Recorder();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  /** Every callback, per room, in order. */
  static final class Recorder implements PushListener {
    final Map<Long, List<Danmaku>> danmaku = new ConcurrentHashMap<>();
    final Map<Long, List<JsonObject>> events = new ConcurrentHashMap<>();
    final Map<Long, List<String>> lifecycle = new ConcurrentHashMap<>();
    final Map<Long, Thread> threads = new ConcurrentHashMap<>();
    volatile boolean wrongThread;

    private void thread(long room) {
      Thread previous = threads.putIfAbsent(room, Thread.currentThread());
      if (previous != null && previous != Thread.currentThread()) {
        wrongThread = true;
      }
    }

    @Override
    public void connected(long roomId) {
      thread(roomId);
      lifecycle.computeIfAbsent(roomId, r -> new CopyOnWriteArrayList<>()).add("connected");
    }

    @Override
    public void disconnected(long roomId, String reason) {
      thread(roomId);
      lifecycle.computeIfAbsent(roomId, r -> new CopyOnWriteArrayList<>()).add("disconnected:" + reason);
    }

    @Override
    public void danmaku(long roomId, Danmaku d) {
      thread(roomId);
      danmaku.computeIfAbsent(roomId, r -> new CopyOnWriteArrayList<>()).add(d);
    }

    @Override
    public void event(long roomId, String cmd, JsonObject raw) {
      thread(roomId);
      events.computeIfAbsent(roomId, r -> new CopyOnWriteArrayList<>()).add(raw);
    }

    List<String> ids(long room) {
      return danmaku.getOrDefault(room, List.of()).stream().map(Danmaku::idStr).toList();
    }

    long connects(long room) {
      return lifecycle.getOrDefault(room, List.of()).stream().filter("connected"::equals).count();
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    simVertx = Vertx.vertx();
    vertx = Vertx.vertx();
    sim = Simulator.start(simVertx, SimulatorSettings.defaults(0, 3, 30, 7)).await(30, TimeUnit.SECONDS);
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close().await(10, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    sim.close().await(10, TimeUnit.SECONDS);
    simVertx.close().await(10, TimeUnit.SECONDS);
  }

  RelayConfig config(long heartbeatMs, String... more) {
    String base = "http://127.0.0.1:" + sim.port();
    List<String> flags = new ArrayList<>(List.of(
        "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
        "upstream.navUrl=" + base + "/x/web-interface/nav",
        "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
        "push.heartbeatMs=" + heartbeatMs,
        "push.reconnectInitialMs=100",
        "push.reconnectMaxMs=800"));
    flags.addAll(List.of(more));
    return ConfigLoader.load(null, Map.of(), flags);
  }

  void startClient(long heartbeatMs, long... rooms) throws Exception {
    startClient(config(heartbeatMs), rooms);
  }

  void startClient(RelayConfig config, long... rooms) throws Exception {
    gate = new UpstreamGate(50, 1_000, 5_000);
    client = onContext(() -> new PushClient(vertx, config, gate, System::currentTimeMillis, recorder, registry));
    for (long room : rooms) {
      client.follow(room);
    }
  }

  /** Creates a value on one event-loop context, so the client runs there. */
  <T> T onContext(java.util.function.Supplier<T> make) throws Exception {
    io.vertx.core.Promise<T> made = io.vertx.core.Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> made.complete(make.get()));
    return made.future().await(10, TimeUnit.SECONDS);
  }

  /** The id_str of every message the simulator pushed to the room, over all its connections, in order. */
  List<String> pushedIds(long room) {
    List<SimMessage> all = sim.messages(room);
    List<String> ids = new ArrayList<>();
    for (PushConnectionStats c : sim.pushConnections(room)) {
      for (int seq : c.messageSeqs()) {
        ids.add(all.get(seq).idStr());
      }
    }
    return ids;
  }

  void control(JsonObject op) {
    sim.control(op);
  }

  double counter(String name, String tag, String value) {
    var c = registry.find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  @DisplayName("Auth is the first packet: header 16/1/7/1 and uid, roomid, protover 3, platform, type 2, token and spi buvid")
  void authPacket() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(30_000, room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1);
    PushConnectionStats c = sim.authedPushConnections(room).get(0);
    byte[] frame = HexFormat.of().parseHex(c.authPacket());
    ByteBuffer header = ByteBuffer.wrap(frame);
    assertThat(header.getInt()).isEqualTo(frame.length);
    assertThat(header.getShort()).isEqualTo((short) 16);
    assertThat(header.getShort()).isEqualTo((short) 1);
    assertThat(header.getInt()).isEqualTo(7);
    assertThat(header.getInt()).isEqualTo(1);
    JsonObject body = new JsonObject(new String(frame, 16, frame.length - 16, StandardCharsets.UTF_8));
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("uid", "roomid", "protover", "platform", "type", "key", "buvid");
    assertThat(body.getLong("uid")).isZero();
    assertThat(body.getLong("roomid")).isEqualTo(room);
    assertThat(body.getInteger("protover")).isEqualTo(3);
    assertThat(body.getString("platform")).isEqualTo("web");
    assertThat(body.getInteger("type")).isEqualTo(2);
    assertThat(body.getString("key")).endsWith("_" + room);
    assertThat(body.getString("buvid")).matches("[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\\d{5}infoc");
    assertThat(c.authedAt() - c.openedAt()).isLessThan(5_000);
  }

  @Test
  @DisplayName("With upstream.cookie and upstream.uid the auth packet carries that uid and the cookie's buvid3; no"
      + " anonymous buvid is fetched")
  void cookieIdentity() throws Exception {
    long room = sim.roomIds().get(0);
    String buvid3 = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F912345infoc";
    startClient(config(30_000, "upstream.cookie=SESSDATA=abc%2C123; buvid3=" + buvid3 + "; bili_jct=x",
        "upstream.uid=424242"), room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1);
    PushConnectionStats c = sim.authedPushConnections(room).get(0);
    JsonObject body = new JsonObject(new String(HexFormat.of().parseHex(c.authPacket()), 16,
        c.authPacket().length() / 2 - 16, StandardCharsets.UTF_8));
    assertThat(body.getLong("uid")).isEqualTo(424242);
    assertThat(body.getString("buvid")).isEqualTo(buvid3);
    assertThat(c.uid()).isEqualTo(424242);
    assertThat(sim.pushStats().getLong("spi_requests")).isZero();
  }

  @Test
  @DisplayName("wss: with an https getDanmuInfo URL the client asks over TLS and holds the stream over wss"
      + " (a simulator with a self-signed certificate the JVM is told to trust)")
  void secureStream(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path store = dir.resolve("sim.p12");
    Process keytool = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool")
        .toString(), "-genkeypair", "-alias", "sim", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String keytoolOutput = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(keytoolOutput).isZero();
    // The relay trusts what the JVM trusts (the real upstream has a public certificate): point the JVM at the
    // simulator's for this test only.
    Map<String, String> saved = new java.util.HashMap<>();
    for (String key : List.of("javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword", "javax.net.ssl.trustStoreType")) {
      saved.put(key, System.getProperty(key));
    }
    System.setProperty("javax.net.ssl.trustStore", store.toString());
    System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
    System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
    Simulator tlsSim = Simulator.start(simVertx, SimulatorSettings.defaults(0, 2, 10, 9), System::currentTimeMillis,
        new io.vertx.core.net.PfxOptions().setPath(store.toString()).setPassword("changeit")).await(30, TimeUnit.SECONDS);
    try {
      String base = "https://127.0.0.1:" + tlsSim.port();
      long room = tlsSim.roomIds().get(0);
      startClient(ConfigLoader.load(null, Map.of(), List.of(
          "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
          "upstream.navUrl=" + base + "/x/web-interface/nav",
          "upstream.buvidUrl=" + base + "/x/frontend/finger/spi")), room);
      await().atMost(WAIT).until(() -> recorder.connects(room) >= 1 && recorder.ids(room).size() >= 5);
      List<SimMessage> all = tlsSim.messages(room);
      await().atMost(WAIT).until(() -> {
        List<String> pushed = new ArrayList<>();
        tlsSim.pushConnections(room)
            .forEach(c -> java.util.Arrays.stream(c.messageSeqs()).forEach(seq -> pushed.add(tlsSim.messages(room).get(seq).idStr())));
        return recorder.ids(room).equals(pushed);
      });
      assertThat(all).isNotEmpty();
      assertThat(tlsSim.pushStats().getLong("danmu_info_requests")).isEqualTo(1);
      assertThat(tlsSim.pushConnections()).filteredOn(c -> c.authedAt() > 0).hasSize(1);
    } finally {
      saved.forEach((k, v) -> {
        if (v == null) {
          System.clearProperty(k);
        } else {
          System.setProperty(k, v);
        }
      });
      tlsSim.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("A host_list whose first host refuses connections: the client moves on to the next host")
  void hostListRotation() throws Exception {
    int refusing;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      refusing = probe.getLocalPort();
    }
    control(new JsonObject().put("op", "push").put("fault", "dead-host").put("port", refusing));
    long room = sim.roomIds().get(0);
    startClient(30_000, room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1);
    assertThat(counter("danmaku.push.reconnects", "reason", "connect_failed")).isEqualTo(1);
    assertThat(sim.authedPushConnections(room)).hasSize(1);
    assertThat(sim.pushStats().getLong("danmu_info_requests")).as("the token is kept across hosts").isEqualTo(1);
    // The next drop goes on with the host that works (index 1), not back to the refusing one.
    control(new JsonObject().put("op", "push").put("fault", "drop"));
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
    assertThat(counter("danmaku.push.reconnects", "reason", "connect_failed")).isEqualTo(1);
  }

  @Test
  @DisplayName("Every message pushed (brotli and zlib bodies of several packets) arrives once, in order, with gethistory's id_str and ct")
  void messagesMatchGroundTruth() throws Exception {
    long room = sim.roomIds().get(0);
    sim.setRate(room, 40);
    startClient(30_000, room);
    await().atMost(WAIT).until(() -> recorder.ids(room).size() >= 150);
    await().atMost(WAIT).until(() -> recorder.ids(room).equals(pushedIds(room)));
    assertThat(recorder.ids(room)).doesNotHaveDuplicates();
    // Received first, the truth after: messages keep arriving, and the simulator holds every message it pushed.
    List<Danmaku> received = List.copyOf(recorder.danmaku.get(room));
    Map<String, SimMessage> truth = sim.messages(room).stream().collect(Collectors.toMap(SimMessage::idStr, m -> m));
    for (Danmaku d : received) {
      SimMessage m = truth.get(d.idStr());
      assertThat(d.checkCt()).isEqualTo(m.ct());
      assertThat(d.text()).isEqualTo(m.text());
      assertThat(d.uid()).isEqualTo(m.uid());
      assertThat(d.nickname()).isEqualTo(m.nickname());
      assertThat(d.ts()).isEqualTo(m.tsMs());
      assertThat(d.timeline()).isEqualTo(m.timeline());
      assertThat(d.rnd()).isEqualTo(m.rnd());
      assertThat(d.raw().getString("cmd")).startsWith("DANMU_MSG:");
    }
    assertThat(recorder.wrongThread).isFalse();
    assertThat(recorder.events.getOrDefault(room, List.of())).isNotEmpty();
  }

  /** The simulator's count of the room's authenticated connections open now, and the most open at once. */
  int[] simConnections(long room) {
    JsonObject entry = sim.stats().getJsonArray("rooms").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getLong("room_id") == room).findFirst().orElseThrow();
    return new int[] {entry.getInteger("push_connections"), entry.getInteger("push_connections_peak")};
  }

  @Test
  @DisplayName("One connection per room at a time: a reconnect closes before it opens, unfollow completes with the"
      + " room's socket closed, and following the room again opens one connection")
  void oneConnectionPerRoom() throws Exception {
    long room = sim.roomIds().get(0);
    long other = sim.roomIds().get(1);
    startClient(30_000, room, other);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1 && recorder.connects(other) >= 1);
    assertThat(simConnections(room)).containsExactly(1, 1);
    control(new JsonObject().put("op", "push").put("fault", "drop").put("room", room));
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
    await().atMost(WAIT).until(() -> simConnections(room)[0] == 1);
    assertThat(simConnections(room)[1]).as("peak after a reconnect").isEqualTo(1);

    client.unfollow(room).await(10, TimeUnit.SECONDS);
    assertThat(client.state(room)).isNull();
    await().atMost(WAIT).until(() -> simConnections(room)[0] == 0);
    assertThat(simConnections(other)).as("the room still followed").containsExactly(1, 1);
    client.follow(room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 3);
    await().atMost(WAIT).until(() -> simConnections(room)[0] == 1);
    assertThat(simConnections(room)[1]).as("peak after following again").isEqualTo(1);
    assertThat(sim.authedPushConnections(room)).hasSize(3);
  }

  @Test
  @DisplayName("Heartbeats go out every push.heartbeatMs")
  void heartbeatCadence() throws Exception {
    long room = sim.roomIds().get(1);
    startClient(400, room);
    await().atMost(WAIT).until(() -> !sim.authedPushConnections(room).isEmpty() && sim.authedPushConnections(room).get(0).heartbeats() >= 8);
    List<Long> at = sim.authedPushConnections(room).get(0).heartbeatAt();
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < at.size(); i++) {
      gaps.add(at.get(i) - at.get(i - 1));
    }
    double mean = gaps.stream().mapToLong(Long::longValue).average().orElseThrow();
    assertThat(mean).isBetween(300.0, 700.0);
    // No lower bound per gap: on a loaded machine two heartbeats sent 400 ms apart can be read by the simulator's
    // event loop 1 ms apart; the mean and the upper bound still fail if the cadence is wrong or heartbeats stop.
    assertThat(gaps).allSatisfy(g -> assertThat(g).isLessThan(2_000L));
  }

  @Test
  @DisplayName("A refused token (-101) makes the client fetch a new one and connect again")
  void refusedToken() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(30_000, room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1);
    long infoRequests = sim.pushStats().getLong("danmu_info_requests");
    control(new JsonObject().put("op", "push").put("fault", "refuse-token"));
    control(new JsonObject().put("op", "push").put("fault", "drop"));
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
    assertThat(sim.pushStats().getLong("auth_refused")).isGreaterThanOrEqualTo(1);
    assertThat(sim.pushStats().getLong("danmu_info_requests")).isGreaterThan(infoRequests);
    assertThat(sim.pushConnections(room)).anySatisfy(c -> assertThat(c.authError()).isEqualTo("token"));
    assertThat(counter("danmaku.push.reconnects", "reason", "token_refused")).isGreaterThanOrEqualTo(1);
  }

  @Test
  @DisplayName("New wbi keys upstream: getDanmuInfo answers -352, the client fetches nav again and signs with the new keys")
  void staleKeys() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(30_000, room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1);
    assertThat(sim.pushStats().getLong("nav_requests")).isEqualTo(1);
    control(new JsonObject().put("op", "push").put("fault", "rotate-keys"));
    control(new JsonObject().put("op", "push").put("fault", "refuse-token"));
    control(new JsonObject().put("op", "push").put("fault", "drop"));
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
    assertThat(sim.pushStats().getLong("danmu_info_refused")).isGreaterThanOrEqualTo(1);
    assertThat(sim.pushStats().getLong("nav_requests")).isEqualTo(2);
  }

  @Test
  @DisplayName("The simulator refuses getDanmuInfo with a wrong or missing w_rid (-352) and answers a right one")
  void simulatorChecksSignature() throws Exception {
    String base = "http://127.0.0.1:" + sim.port() + "/xlive/web-room/v1/index/getDanmuInfo?";
    JsonObject nav = get("http://127.0.0.1:" + sim.port() + "/x/web-interface/nav");
    assertThat(nav.getInteger("code")).isEqualTo(-101);
    JsonObject img = nav.getJsonObject("data").getJsonObject("wbi_img");
    var signer = new io.danmakurelay.upstream.WbiSigner(
        io.danmakurelay.upstream.WbiSigner.keyOfUrl(img.getString("img_url")).orElseThrow(),
        io.danmakurelay.upstream.WbiSigner.keyOfUrl(img.getString("sub_url")).orElseThrow());
    String signed = signer.signedQuery(Map.of("id", Long.toString(sim.roomIds().get(0)), "type", "0", "web_location", "444.8"),
        System.currentTimeMillis() / 1000);
    assertThat(get(base + signed).getInteger("code")).isZero();
    assertThat(get(base + signed.replaceAll("w_rid=[0-9a-f]{4}", "w_rid=0000")).getInteger("code")).isEqualTo(-352);
    assertThat(get(base + signed.replaceAll("&w_rid=.*", "")).getInteger("code")).isEqualTo(-352);
    assertThat(get(base + "id=" + sim.roomIds().get(0) + "&type=0").getInteger("code")).isEqualTo(-352);
  }

  JsonObject get(String url) throws Exception {
    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new JsonObject(resp.body());
  }

  @Test
  @DisplayName("Malformed frames (truncated, length over the frame, brotli bomb, non-JSON, garbage) reconnect that room only")
  void malformedFrames() throws Exception {
    long bad = sim.roomIds().get(0);
    long other = sim.roomIds().get(1);
    sim.setRate(bad, 20);
    sim.setRate(other, 20);
    startClient(30_000, bad, other);
    await().atMost(WAIT).until(() -> recorder.connects(bad) >= 1 && recorder.connects(other) >= 1);
    int otherConnection = sim.authedPushConnections(other).get(0).id();
    String[] kinds = {"truncated", "length", "bomb", "nonjson", "binary", "text"};
    for (int i = 0; i < kinds.length; i++) {
      long before = recorder.connects(bad);
      control(new JsonObject().put("op", "push").put("fault", "garbage").put("kind", kinds[i]).put("room", bad));
      await().atMost(WAIT).until(() -> recorder.connects(bad) > before);
    }
    long unknownBefore = recorder.events.getOrDefault(bad, List.of()).size();
    control(new JsonObject().put("op", "push").put("fault", "garbage").put("kind", "unknowncmd").put("room", bad));
    await().atMost(WAIT).until(() -> recorder.events.getOrDefault(bad, List.of()).stream()
        .anyMatch(e -> e.getString("cmd").startsWith("SIM_UNKNOWN_CMD_")));
    assertThat(recorder.events.get(bad).size()).isGreaterThan((int) unknownBefore);
    assertThat(recorder.connects(bad)).isEqualTo(1 + kinds.length);
    assertThat(sim.authedPushConnections(other)).extracting(PushConnectionStats::id).containsExactly(otherConnection);
    assertThat(recorder.connects(other)).isEqualTo(1);
    for (String kind : List.of("truncated", "length_over_frame", "too_large", "not_json", "text")) {
      assertThat(counter("danmaku.push.malformed.frames", "kind", kind)).as(kind).isGreaterThanOrEqualTo(1);
    }
    List<String> pushed = pushedIds(bad);
    List<String> received = recorder.ids(bad);
    assertThat(received).doesNotHaveDuplicates();
    assertThat(pushed).containsAll(received);
    assertThat(recorder.ids(other)).isNotEmpty().doesNotHaveDuplicates();
    await().atMost(WAIT).until(() -> recorder.ids(other).equals(pushedIds(other)));
  }

  @Test
  @DisplayName("A server that stops answering heartbeats is left for a new connection after ~2 heartbeats")
  void silentServer() throws Exception {
    long room = sim.roomIds().get(2);
    startClient(300, room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1);
    control(new JsonObject().put("op", "push").put("fault", "silent").put("room", room));
    await().atMost(WAIT).until(() -> counter("danmaku.push.reconnects", "reason", "heartbeat_timeout") >= 1);
    control(new JsonObject().put("op", "push").put("fault", "silent").put("room", room).put("on", false));
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
    assertThat(recorder.lifecycle.get(room)).contains("disconnected:heartbeat_timeout");
  }

  @Test
  @DisplayName("An IP-wide refusal (HTTP 412 on the upgrade) pauses the shared gate; rooms come back after it")
  void ipRefusal() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(30_000, room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 1);
    sim.ban(3);
    control(new JsonObject().put("op", "push").put("fault", "drop"));
    await().atMost(WAIT).until(() -> counter("danmaku.push.reconnects", "reason", "ip_refused") >= 1);
    assertThat(gate.paused(System.currentTimeMillis()) || recorder.connects(room) >= 2).isTrue();
    sim.ban(0);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
  }
}
