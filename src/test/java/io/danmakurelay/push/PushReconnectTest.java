package io.danmakurelay.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.sim.PushConnectionStats;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * When a room reconnects, over real sockets against the simulator. The reconnect delay is set to 60 s (30-60 s
 * once jittered), longer than any wait of these tests: a reconnect that happens came at once, and a room that
 * waits is seen by the delay it was given and by the connections the simulator recorded, never by the clock.
 */
@DisplayName("Push reconnects: at once after a healthy connection dropped, the back-off after a failed attempt")
class PushReconnectTest {

  /** Shorter than the shortest jittered reconnect delay (30 s): whatever reconnects within it did so at once. */
  static final Duration WAIT = Duration.ofSeconds(20);
  static final long DELAY_MS = 60_000;

  Vertx simVertx;
  Vertx vertx;
  Simulator sim;
  PushClient client;
  UpstreamGate gate;
  SimpleMeterRegistry registry;
  final PushClientTest.Recorder recorder = new PushClientTest.Recorder();

  @BeforeEach
  void setUp() throws Exception {
    simVertx = Vertx.vertx();
    vertx = Vertx.vertx();
    sim = Simulator.start(simVertx, SimulatorSettings.defaults(0, 12, 24, 5)).await(30, TimeUnit.SECONDS);
    registry = new SimpleMeterRegistry();
    // A risk-control pause of this gate lasts minutes (5 x 60 s), longer than any test.
    gate = new UpstreamGate(50, 60_000, 600_000);
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

  RelayConfig config(long heartbeatMs) {
    String base = "http://127.0.0.1:" + sim.port();
    return ConfigLoader.load(null, Map.of(), List.of(
        "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
        "upstream.navUrl=" + base + "/x/web-interface/nav",
        "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
        "push.heartbeatMs=" + heartbeatMs,
        "push.reconnectInitialMs=" + DELAY_MS,
        "push.reconnectMaxMs=" + DELAY_MS));
  }

  void startClient(ImmediateReconnects immediate, long heartbeatMs, List<Long> rooms) throws Exception {
    RelayConfig config = config(heartbeatMs);
    io.vertx.core.Promise<PushClient> made = io.vertx.core.Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> made.complete(
        new PushClient(vertx, config, gate, System::currentTimeMillis, recorder, registry, immediate)));
    client = made.future().await(10, TimeUnit.SECONDS);
    rooms.forEach(client::follow);
    await().atMost(WAIT).until(() -> rooms.stream().allMatch(r -> recorder.connects(r) >= 1));
  }

  double counter(String name, String tag, String value) {
    var c = registry.find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }

  double immediateCount() {
    var c = registry.find("danmaku.push.reconnects.immediate").counter();
    return c == null ? 0 : c.count();
  }

  boolean disconnected(long room) {
    return recorder.lifecycle.getOrDefault(room, List.of()).stream().anyMatch(e -> e.startsWith("disconnected:"));
  }

  void drop(Long room) {
    JsonObject op = new JsonObject().put("op", "push").put("fault", "drop");
    if (room != null) {
      op.put("room", room);
    }
    sim.control(op);
  }

  /** Every connection counts as healthy once authenticated; a bucket that does not run dry here. */
  static ImmediateReconnects anyAge() {
    return new ImmediateReconnects(0, 10, 10);
  }

  @Test
  @DisplayName("A healthy connection dropped by the server is reconnected at once, with the same token, although"
      + " the reconnect delay is 60 s")
  void healthyDropReconnectsAtOnce() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(anyAge(), 30_000, List.of(room));
    long infoRequests = sim.pushStats().getLong("danmu_info_requests");
    drop(room);
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
    assertThat(recorder.lifecycle.get(room)).containsExactly("connected", "disconnected:closed", "connected");
    assertThat(client.lastReconnectDelayMs(room)).isZero();
    assertThat(immediateCount()).isEqualTo(1);
    assertThat(counter("danmaku.push.reconnects", "reason", "closed")).isEqualTo(1);
    List<PushConnectionStats> seen = sim.authedPushConnections(room);
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0).closeReason()).isEqualTo("fault");
    assertThat(seen.get(1).openedAt()).as("the new socket opened after the old one closed")
        .isGreaterThanOrEqualTo(seen.get(0).closedAt());
    assertThat(sim.pushStats().getLong("danmu_info_requests")).as("the token is reused").isEqualTo(infoRequests);
  }

  @Test
  @DisplayName("Heartbeat replies that stop end a healthy connection, and its room reconnects at once")
  void heartbeatTimeoutReconnectsAtOnce() throws Exception {
    long room = sim.roomIds().get(1);
    startClient(anyAge(), 300, List.of(room));
    sim.control(new JsonObject().put("op", "push").put("fault", "silent").put("room", room));
    await().atMost(WAIT).until(() -> counter("danmaku.push.reconnects", "reason", "heartbeat_timeout") >= 1);
    sim.control(new JsonObject().put("op", "push").put("fault", "silent").put("room", room).put("on", false));
    await().atMost(WAIT).until(() -> recorder.connects(room) >= 2);
    assertThat(recorder.lifecycle.get(room)).contains("disconnected:heartbeat_timeout");
    assertThat(immediateCount()).isGreaterThanOrEqualTo(1);
    assertThat(counter("danmaku.push.reconnects", "reason", "connect_failed")).isZero();
  }

  @Test
  @DisplayName("The immediate attempt fails (token refused, -101): then the room waits the reconnect delay, from"
      + " push.reconnectInitialMs")
  void failedImmediateAttemptWaits() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(anyAge(), 30_000, List.of(room));
    sim.control(new JsonObject().put("op", "push").put("fault", "refuse-token"));
    drop(room);
    await().atMost(WAIT).until(() -> counter("danmaku.push.reconnects", "reason", "token_refused") >= 1);
    assertThat(immediateCount()).as("the attempt right after the drop").isEqualTo(1);
    assertThat(sim.pushConnections(room)).hasSize(2);
    assertThat(sim.pushConnections(room).get(1).authError()).isEqualTo("token");
    // Equal jitter of the first step: half of 60 s fixed, half random.
    assertThat(client.lastReconnectDelayMs(room)).isBetween(DELAY_MS / 2, DELAY_MS);
    assertThat(client.state(room)).isEqualTo(PushClient.State.RECONNECTING);
    assertThat(recorder.connects(room)).isEqualTo(1);
  }

  @Test
  @DisplayName("A connection dropped before it was healthy (within healthyAfterMs of its auth) waits the delay")
  void youngConnectionWaits() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(new ImmediateReconnects(600_000, 10, 10), 30_000, List.of(room));
    drop(room);
    await().atMost(WAIT).until(() -> disconnected(room) && client.lastReconnectDelayMs(room) > 0);
    assertThat(client.lastReconnectDelayMs(room)).isBetween(DELAY_MS / 2, DELAY_MS);
    assertThat(immediateCount()).isZero();
    assertThat(client.state(room)).isEqualTo(PushClient.State.RECONNECTING);
    assertThat(sim.pushConnections(room)).hasSize(1);
  }

  @Test
  @DisplayName("A first attempt that fails before auth (the host refuses the connect) waits the delay")
  void failedFirstAttemptWaits() throws Exception {
    int refusing;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      refusing = probe.getLocalPort();
    }
    sim.control(new JsonObject().put("op", "push").put("fault", "dead-host").put("port", refusing));
    long room = sim.roomIds().get(0);
    RelayConfig config = config(30_000);
    io.vertx.core.Promise<PushClient> made = io.vertx.core.Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> made.complete(
        new PushClient(vertx, config, gate, System::currentTimeMillis, recorder, registry, anyAge())));
    client = made.future().await(10, TimeUnit.SECONDS);
    client.follow(room);
    await().atMost(WAIT).until(() -> counter("danmaku.push.reconnects", "reason", "connect_failed") >= 1);
    assertThat(client.lastReconnectDelayMs(room)).isBetween(DELAY_MS / 2, DELAY_MS);
    assertThat(immediateCount()).isZero();
    assertThat(sim.pushConnections(room)).isEmpty();
    assertThat(client.state(room)).isEqualTo(PushClient.State.RECONNECTING);
  }

  @Test
  @DisplayName("Malformed input ends a healthy connection, and its room still waits the delay")
  void malformedWaits() throws Exception {
    long room = sim.roomIds().get(0);
    startClient(anyAge(), 30_000, List.of(room));
    sim.control(new JsonObject().put("op", "push").put("fault", "garbage").put("kind", "nonjson").put("room", room));
    await().atMost(WAIT).until(() -> counter("danmaku.push.reconnects", "reason", "malformed") >= 1);
    assertThat(recorder.lifecycle.get(room)).containsExactly("connected", "disconnected:malformed");
    assertThat(client.lastReconnectDelayMs(room)).isBetween(DELAY_MS / 2, DELAY_MS);
    assertThat(immediateCount()).isZero();
    assertThat(sim.authedPushConnections(room)).hasSize(1);
  }

  @Test
  @DisplayName("An IP-wide refusal: the immediate attempt meets HTTP 412, the gate pauses, and the room waits out"
      + " the pause; a healthy connection lost during a pause waits too")
  void ipRefusalWaits() throws Exception {
    long room = sim.roomIds().get(0);
    long other = sim.roomIds().get(1);
    startClient(anyAge(), 30_000, List.of(room, other));
    sim.ban(300);
    drop(room);
    await().atMost(WAIT).until(() -> counter("danmaku.push.reconnects", "reason", "ip_refused") >= 1);
    long now = System.currentTimeMillis();
    assertThat(gate.paused(now)).isTrue();
    assertThat(immediateCount()).isEqualTo(1);
    assertThat(client.lastReconnectDelayMs(room)).isGreaterThanOrEqualTo(DELAY_MS / 2);
    // The pause is the relay's: the other room's healthy connection, dropped now, does not try at once either.
    drop(other);
    await().atMost(WAIT).until(() -> disconnected(other) && client.lastReconnectDelayMs(other) > 0);
    assertThat(client.lastReconnectDelayMs(other)).isGreaterThanOrEqualTo(DELAY_MS / 2);
    assertThat(immediateCount()).isEqualTo(1);
    assertThat(sim.authedPushConnections(other)).hasSize(1);
  }

  @Test
  @DisplayName("A mass drop of 12 rooms makes exactly the bucket's 3 immediate reconnects; the other 9 rooms wait"
      + " the jittered delay")
  void massDropIsBounded() throws Exception {
    List<Long> rooms = sim.roomIds();
    assertThat(rooms).hasSize(12);
    // No refill: the bound is the burst alone, whatever time the drops take to arrive.
    startClient(new ImmediateReconnects(0, 3, 0), 30_000, rooms);
    drop(null);
    await().atMost(WAIT).until(() -> rooms.stream().allMatch(r -> disconnected(r) && client.lastReconnectDelayMs(r) >= 0));
    assertThat(immediateCount()).isEqualTo(3);
    List<Long> atOnce = rooms.stream().filter(r -> client.lastReconnectDelayMs(r) == 0).toList();
    assertThat(atOnce).hasSize(3);
    assertThat(rooms).filteredOn(r -> !atOnce.contains(r))
        .allSatisfy(r -> assertThat(client.lastReconnectDelayMs(r)).isBetween(DELAY_MS / 2, DELAY_MS));
    await().atMost(WAIT).until(() -> atOnce.stream().allMatch(r -> recorder.connects(r) >= 2));
    assertThat(rooms.stream().mapToLong(recorder::connects).sum()).isEqualTo(12 + 3);
    assertThat(sim.pushConnections().stream().filter(c -> c.authedAt() > 0).count()).isEqualTo(12 + 3);
    assertThat(counter("danmaku.push.reconnects", "reason", "closed")).isEqualTo(12);
  }
}
