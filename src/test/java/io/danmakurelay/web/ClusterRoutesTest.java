package io.danmakurelay.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.Addresses;
import io.danmakurelay.cluster.ClusterMetrics;
import io.danmakurelay.cluster.ClusterView;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET /api/cluster} and the {@code owner} of each room in {@code GET /api/rooms} (SPEC §5, §8). */
@ExtendWith(VertxExtension.class)
class ClusterRoutesTest {

  /** Three relays, six partitions: a has 0 and 3, b has 1 and 4, c has 2 and 5; room id mod 6 is its partition. */
  static final class FakeCluster implements ClusterView {
    final List<Member> members = List.of(new Member("relay-a", List.of(3, 0)), new Member("relay-b", List.of(1, 4)),
        new Member("relay-c", List.of(2, 5)));
    long rebalances = 4;

    @Override
    public boolean enabled() {
      return true;
    }

    @Override
    public String group() {
      return "danmaku-relay";
    }

    @Override
    public String instanceId() {
      return "relay-b";
    }

    @Override
    public int generation() {
      return 7;
    }

    @Override
    public int partitions() {
      return 6;
    }

    @Override
    public int partitionOf(long realRoomId) {
      return (int) (realRoomId % 6);
    }

    @Override
    public List<Member> members() {
      return members;
    }

    @Override
    public Set<Integer> ownedPartitions() {
      return Set.of(1, 4);
    }

    @Override
    public long rebalances() {
      return rebalances;
    }
  }

  private final PrometheusMeterRegistry registry = RelayMetrics.createRegistry();
  private HttpServer server;
  private WebClient client;

  /** Rooms 6 (partition 0: a), 7 and 13 (partition 1: b), 11 (partition 5: c), and one not resolved yet. */
  private static JsonObject pollerRooms() {
    return new JsonObject().put("rooms", new JsonArray()
        .add(new JsonObject().put("room_id", 6L).put("requested_id", 6L).put("state", "polling"))
        .add(new JsonObject().put("room_id", 7L).put("requested_id", 7L).put("state", "polling"))
        .add(new JsonObject().put("room_id", 13L).put("requested_id", 13L).put("state", "backoff"))
        .add(new JsonObject().put("room_id", 11L).put("requested_id", 11L).put("state", "polling"))
        .add(new JsonObject().putNull("room_id").put("requested_id", 55L).put("state", "polling")));
  }

  private int serve(Vertx vertx, ClusterView cluster) throws Exception {
    vertx.eventBus().<JsonObject>consumer(Addresses.ROOMS_LIST, msg -> msg.reply(pollerRooms()));
    ClusterMetrics metrics = new ClusterMetrics(registry, cluster);
    Router router = Router.router(vertx);
    new ClusterRoutes(vertx, cluster, metrics::setRoomsOwned).mount(router);
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .await(20, TimeUnit.SECONDS);
    client = WebClient.create(vertx);
    return server.actualPort();
  }

  private JsonObject get(int port, String path) throws Exception {
    var response = client.get(port, "127.0.0.1", path).send().await(20, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    return response.bodyAsJsonObject();
  }

  @AfterEach
  void close() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a single relay reports itself as the one member, with partition 0 and every room, cluster disabled")
  void singleRelay(Vertx vertx) throws Exception {
    int port = serve(vertx, ClusterView.single("danmaku-relay", "host:8080"));

    JsonObject cluster = get(port, "/api/cluster");
    assertThat(cluster.getBoolean("enabled")).isFalse();
    assertThat(cluster.getString("group")).isEqualTo("danmaku-relay");
    assertThat(cluster.getInteger("generation")).isZero();
    assertThat(cluster.getJsonArray("members").getList()).hasSize(1);
    JsonObject self = cluster.getJsonArray("members").getJsonObject(0);
    assertThat(self.getString("id")).isEqualTo("host:8080");
    assertThat(self.getJsonArray("partitions").getList()).containsExactly(0);
    assertThat(self.getInteger("rooms")).isEqualTo(5);

    JsonArray rooms = get(port, "/api/rooms").getJsonArray("rooms");
    assertThat(rooms).hasSize(5);
    for (int i = 0; i < rooms.size(); i++) {
      assertThat(rooms.getJsonObject(i).containsKey("owner")).as("no owner outside a cluster").isFalse();
    }
    assertThat(registry.get("danmaku.cluster.members").gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("danmaku.rooms.owned").gauge().value()).isEqualTo(5.0);
  }

  @Test
  @DisplayName("in a cluster of three, /api/cluster lists each member's partitions and rooms, /api/rooms each room's owner")
  void threeMembers(Vertx vertx) throws Exception {
    FakeCluster fake = new FakeCluster();
    int port = serve(vertx, fake);

    JsonObject cluster = get(port, "/api/cluster");
    assertThat(cluster.getBoolean("enabled")).isTrue();
    assertThat(cluster.getString("group")).isEqualTo("danmaku-relay");
    assertThat(cluster.getInteger("generation")).isEqualTo(7);
    JsonArray members = cluster.getJsonArray("members");
    assertThat(members).hasSize(3);
    assertThat(members.getJsonObject(0).getMap())
        .containsEntry("id", "relay-a").containsEntry("rooms", 1);
    assertThat(members.getJsonObject(0).getJsonArray("partitions").getList()).containsExactly(0, 3);
    assertThat(members.getJsonObject(1).getMap()).containsEntry("id", "relay-b").containsEntry("rooms", 2);
    assertThat(members.getJsonObject(1).getJsonArray("partitions").getList()).containsExactly(1, 4);
    assertThat(members.getJsonObject(2).getMap()).containsEntry("id", "relay-c").containsEntry("rooms", 1);

    JsonArray rooms = get(port, "/api/rooms").getJsonArray("rooms");
    Map<Long, Object> owners = new java.util.HashMap<>();
    for (int i = 0; i < rooms.size(); i++) {
      JsonObject room = rooms.getJsonObject(i);
      assertThat(room.containsKey("owner")).as("room %s has an owner field", room.getValue("requested_id")).isTrue();
      owners.put(room.getLong("requested_id"), room.getValue("owner"));
    }
    assertThat(owners).containsEntry(6L, "relay-a").containsEntry(7L, "relay-b").containsEntry(13L, "relay-b")
        .containsEntry(11L, "relay-c").containsEntry(55L, null);

    assertThat(registry.get("danmaku.cluster.members").gauge().value()).isEqualTo(3.0);
    assertThat(registry.get("danmaku.rooms.owned").gauge().value()).isEqualTo(2.0);
    assertThat(registry.get("danmaku.cluster.rebalances").functionCounter().count()).isEqualTo(4.0);
    String scrape = registry.scrape();
    assertThat(scrape).contains("danmaku_cluster_members 3.0", "danmaku_rooms_owned 2.0",
        "danmaku_cluster_rebalances_total 4.0");
  }
}
