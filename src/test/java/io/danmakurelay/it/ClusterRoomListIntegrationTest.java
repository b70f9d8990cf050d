package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.Relay;
import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.testsupport.WsProbe;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's room list (SPEC §8): two relays with {@code cluster.enabled} in one JVM on one real broker, the
 * simulator as upstream. A room added or removed through either relay's API reaches the other's registry
 * through the state topic, and a relay's own writes read back do not undo what it did since.
 */
class ClusterRoomListIntegrationTest {

  private static final Duration SPREAD = Duration.ofSeconds(90);

  private static List<String> flags(RelayHarness h, String bootstrap, String instance, Path dir) {
    List<String> flags = new ArrayList<>(h.flags(dir, "ajax-msg", "rooms=1000001", "poll.strategy=fixed",
        "upstream.requestsPerSecond=10"));
    flags.addAll(List.of("kafka.bootstrapServers=" + bootstrap, "cluster.enabled=true",
        "cluster.instanceId=" + instance));
    return flags;
  }

  private static HttpResponse<String> send(RelayHarness h, Relay relay, String method, String path, String body)
      throws Exception {
    return h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.httpPort() + path))
        .timeout(Duration.ofSeconds(15))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The requested ids /api/rooms lists, each as often as listed. */
  private static List<Long> requested(RelayHarness h, Relay relay) throws Exception {
    return new JsonObject(send(h, relay, "GET", "/api/rooms", null).body()).getJsonArray("rooms").stream()
        .map(o -> ((JsonObject) o).getLong("requested_id")).toList();
  }

  @Test
  @DisplayName("a room added on relay A is listed by relay B, removed on B it leaves A, and A's own add, remove and "
      + "add again, read back from Kafka, end with the room followed on both")
  void roomListIsTheClusters(@TempDir Path dir) throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 8, 2.0, 13));
         EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0)) {
      String bootstrap = kafka.bootstrapServers();
      try (Relay a = Relay.start(ConfigLoader.load(null, Map.of(), flags(h, bootstrap, "a", dir.resolve("a"))));
           Relay b = Relay.start(ConfigLoader.load(null, Map.of(), flags(h, bootstrap, "b", dir.resolve("b"))))) {
        assertThat(requested(h, a)).containsExactly(1000001L);
        assertThat(requested(h, b)).containsExactly(1000001L);

        assertThat(send(h, a, "POST", "/api/rooms", "{\"room\":1000002}").statusCode()).isEqualTo(201);
        await("B lists the room added on A", SPREAD, () -> requested(h, b).contains(1000002L));
        assertThat(requested(h, a)).containsExactly(1000001L, 1000002L);
        await("B resolved it", SPREAD, () -> new JsonObject(send(h, b, "GET", "/api/rooms", null).body())
            .getJsonArray("rooms").stream().anyMatch(o -> Long.valueOf(1000002L).equals(((JsonObject) o).getLong("room_id"))));

        assertThat(send(h, b, "DELETE", "/api/rooms/1000002", null).statusCode()).isEqualTo(200);
        await("A drops the room removed on B", SPREAD, () -> !requested(h, a).contains(1000002L));
        assertThat(requested(h, b)).containsExactly(1000001L);

        // Added, removed and added again on A before any of it is read back: each own entry is skipped once, so
        // the late tombstone cannot unfollow the room A follows again.
        assertThat(send(h, a, "POST", "/api/rooms", "{\"room\":1000003}").statusCode()).isEqualTo(201);
        assertThat(send(h, a, "DELETE", "/api/rooms/1000003", null).statusCode()).isEqualTo(200);
        assertThat(send(h, a, "POST", "/api/rooms", "{\"room\":1000003}").statusCode()).isEqualTo(201);
        // A room added on B afterwards: once A lists it, A has read past its own three entries too (one partition).
        assertThat(send(h, b, "POST", "/api/rooms", "{\"room\":1000004}").statusCode()).isEqualTo(201);
        await("A lists the room added on B", SPREAD, () -> requested(h, a).contains(1000004L));
        await("B lists the room A added again", SPREAD, () -> requested(h, b).contains(1000003L));
        assertThat(requested(h, a)).containsExactly(1000001L, 1000003L, 1000004L);
        assertThat(requested(h, b)).containsExactlyInAnyOrder(1000001L, 1000003L, 1000004L);

        // Removed on the relay that added it: the other drops it too.
        assertThat(send(h, b, "DELETE", "/api/rooms/1000004", null).statusCode()).isEqualTo(200);
        await("A drops the room B added and removed", SPREAD, () -> !requested(h, a).contains(1000004L));
      }
    }
  }

  /** Room {@code room}'s entry in the relay's /api/rooms, or null. */
  private static JsonObject entry(RelayHarness h, Relay relay, long room) throws Exception {
    return new JsonObject(send(h, relay, "GET", "/api/rooms", null).body()).getJsonArray("rooms").stream()
        .map(o -> (JsonObject) o).filter(o -> Long.valueOf(room).equals(o.getLong("room_id"))).findFirst().orElse(null);
  }

  @Test
  @DisplayName("a room added on relay A is polled by its owner alone, and a /ws client of the relay that does not "
      + "own it receives it from seq 1 on, contiguous (the fan-out reads Kafka)")
  void addedRoomPolledByItsOwnerAndServedByEveryRelay(@TempDir Path dir) throws Exception {
    long room = 1000002L;
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 8, 2.0, 13));
         EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0)) {
      String bootstrap = kafka.bootstrapServers();
      try (Relay a = Relay.start(ConfigLoader.load(null, Map.of(), flags(h, bootstrap, "a", dir.resolve("a"))));
           Relay b = Relay.start(ConfigLoader.load(null, Map.of(), flags(h, bootstrap, "b", dir.resolve("b"))))) {
        await("both relays hold partitions", SPREAD, () -> new JsonObject(send(h, a, "GET", "/api/cluster", null).body())
            .getJsonArray("members").stream().filter(m -> !((JsonObject) m).getJsonArray("partitions").isEmpty())
            .count() == 2);
        assertThat(send(h, a, "POST", "/api/rooms", "{\"room\":" + room + "}").statusCode()).isEqualTo(201);
        await("the room resolved and its owner known on A", SPREAD,
            () -> entry(h, a, room) != null && entry(h, a, room).getString("owner") != null);
        String owner = entry(h, a, room).getString("owner");
        Relay owning = "a".equals(owner) ? a : b;
        Relay other = owning == a ? b : a;
        // The other relay learns of the room from the state topic (room/ and resolved/ entries), a moment later.
        await("the other relay lists the room with the same owner", SPREAD,
            () -> entry(h, other, room) != null && owner.equals(entry(h, other, room).getString("owner")));
        await("the owner polled it", SPREAD, () -> entry(h, owning, room).getValue("last_poll_at") != null);
        assertThat(entry(h, other, room).getValue("last_poll_at")).as("polls of a room by the relay not owning it")
            .isNull();

        WebSocketClient client = other.vertx().createWebSocketClient();
        try {
          WsProbe ws = WsProbe.open(client, other.httpPort(), "/ws");
          ws.send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(room))
              .put("since", new JsonObject().put(Long.toString(room), 0)));
          List<Long> seqs = new ArrayList<>();
          await("five messages of the room through the relay not owning it", SPREAD, () -> {
            for (JsonObject frame; (frame = ws.received.poll()) != null; ) {
              if ("danmaku".equals(frame.getString("op"))) {
                assertThat(frame.getLong("room_id")).isEqualTo(room);
                seqs.add(frame.getLong("seq"));
              }
            }
            return seqs.size() >= 5;
          });
          for (int i = 0; i < seqs.size(); i++) {
            assertThat(seqs.get(i)).as("seq of frame %d", i).isEqualTo(i + 1L);
          }
          ws.close();
        } finally {
          client.close();
        }
      }
    }
  }
}
