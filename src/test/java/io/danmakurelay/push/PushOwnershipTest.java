package io.danmakurelay.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.RelayState;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.poll.PollerVerticle;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.testsupport.RecordingSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Push follows cluster ownership (hybrid mode): the poller and the push source of one relay as the relay wires them,
 * against the simulator, with a recording sink instead of Kafka. Releasing a partition closes its rooms' push
 * connections before the release completes; adopting it again opens new ones, each with its backfill poll.
 */
@DisplayName("Push connections follow the partitions a cluster member owns")
class PushOwnershipTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private Vertx simVertx;
  private Vertx vertx;
  private Simulator sim;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<SequencedBatch> batches = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    simVertx = Vertx.vertx();
    vertx = Vertx.vertx();
    sim = Simulator.start(simVertx, new SimulatorSettings(SimulatorSettings.DEFAULT_HOST, 0, 4, 2.0, 0.0, 17, 0,
        SimulatorSettings.DEFAULT_BAN_SECONDS, 0.05, 0.0, 0, SimulatorSettings.DEFAULT_MESSAGE_CAP))
        .await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    sim.close().await(10, TimeUnit.SECONDS);
    simVertx.close().await(10, TimeUnit.SECONDS);
  }

  private RelayConfig config() {
    String base = "http://127.0.0.1:" + sim.port();
    return ConfigLoader.load(null, Map.of(), List.of(
        "upstream.mode=hybrid",
        "upstream.api=gethistory",
        "upstream.url=" + base + "/xlive/web-room/v1/dM/gethistory",
        "upstream.roomInitUrl=" + base + "/room/v1/Room/room_init",
        "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
        "upstream.navUrl=" + base + "/x/web-interface/nav",
        "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
        "upstream.requestsPerSecond=20",
        "push.reconnectInitialMs=100",
        "push.reconnectMaxMs=800",
        "rooms=" + sim.roomIds().stream().map(String::valueOf).collect(Collectors.joining(","))));
  }

  /** The simulator's {open, peak, authenticated ever, requests served} for a room. */
  private long[] simRoom(long room) {
    JsonObject entry = sim.stats().getJsonArray("rooms").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getLong("room_id") == room).findFirst().orElseThrow();
    long authed = sim.authedPushConnections(room).size();
    return new long[] {entry.getInteger("push_connections"), entry.getInteger("push_connections_peak"), authed,
        entry.getLong("requests")};
  }

  private double connectedGauge() {
    var gauge = registry.find("danmaku.push.connections").tag("state", "connected").gauge();
    return gauge == null ? 0 : gauge.value();
  }

  /** The room's last state the pipeline numbered (what the sink would have committed), by room. */
  private Map<Long, JsonObject> lastStates(List<Long> rooms) {
    Map<Long, JsonObject> out = new HashMap<>();
    for (SequencedBatch batch : batches) {
      if (batch.stream() != null && batch.stream().kind() == StreamKey.Kind.ROOM && batch.state() != null
          && rooms.contains(batch.stream().id())) {
        out.put(batch.stream().id(), batch.state().copy());
      }
    }
    return out;
  }

  @Test
  @DisplayName("release closes the push connections of the partition's rooms before it completes; adopting the "
      + "partition again connects them afresh with a backfill, and every message is published once")
  void releaseClosesAndAdoptReconnects() throws Exception {
    sim.pause();
    RelayConfig config = config();
    Pipeline pipeline = new Pipeline(new RecordingSink(batches));
    UpstreamGate gate = new UpstreamGate(20, 1_000, 5_000);
    PollerVerticle poller = new PollerVerticle(config, pipeline, RelayState.empty(), registry, gate);
    poller.clusterMode(id -> (int) (id % 2));
    vertx.deployVerticle(poller).await(30, TimeUnit.SECONDS);
    PushSource.start(vertx, config, poller, pipeline, gate, registry).await(30, TimeUnit.SECONDS);
    List<Long> rooms = sim.roomIds();
    List<Long> released = rooms.stream().filter(id -> id % 2 == 0).toList();
    List<Long> kept = rooms.stream().filter(id -> id % 2 == 1).toList();
    assertThat(released).hasSize(2);

    poller.adopt(Set.of(0, 1), Map.of()).await(10, TimeUnit.SECONDS);
    await("every room connected once").atMost(WAIT)
        .until(() -> connectedGauge() == 4 && rooms.stream().allMatch(r -> simRoom(r)[0] == 1));
    sim.resume();
    await("messages of every room").atMost(WAIT).until(() -> lastStates(rooms).size() == 4);
    Map<Long, Long> requestsBefore = new HashMap<>();
    rooms.forEach(r -> requestsBefore.put(r, simRoom(r)[3]));

    poller.release(Set.of(0)).await(30, TimeUnit.SECONDS);
    assertThat(connectedGauge()).as("rooms connected as the release completes").isEqualTo(2);
    await("the simulator sees the released rooms' connections closed").atMost(WAIT)
        .until(() -> released.stream().allMatch(r -> simRoom(r)[0] == 0));
    assertThat(kept).allSatisfy(r -> assertThat(simRoom(r)[0]).as("open connections of kept room %d", r).isEqualTo(1));

    // Handed back at once (a rejoin that gets the same partition): new connections, each with its backfill.
    poller.adopt(Set.of(0), lastStates(released)).await(10, TimeUnit.SECONDS);
    await("the released rooms connected again, with a backfill").atMost(WAIT).until(() -> released.stream()
        .allMatch(r -> simRoom(r)[0] == 1 && simRoom(r)[2] == 2 && simRoom(r)[3] > requestsBefore.get(r)));
    assertThat(rooms).allSatisfy(r -> assertThat(simRoom(r)[1]).as("peak connections of room %d", r).isEqualTo(1));
    assertThat(kept).allSatisfy(r -> assertThat(simRoom(r)[3]).as("polls of kept room %d", r)
        .isEqualTo(requestsBefore.get(r)));

    sim.pause();
    await("every generated message published").atMost(WAIT).until(() -> published().size() >= truth().size());
    assertThat(published()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(truth());
  }

  private List<String> published() {
    List<String> ids = new ArrayList<>();
    for (SequencedBatch batch : batches) {
      for (SourceItem item : batch.items()) {
        ids.add(item.value().getLong("room_id") + "/" + item.value().getString("id"));
      }
    }
    return ids;
  }

  private List<String> truth() {
    List<String> ids = new ArrayList<>();
    for (long room : sim.roomIds()) {
      sim.messages(room).forEach(m -> ids.add(room + "/" + m.idStr()));
    }
    return ids;
  }
}
