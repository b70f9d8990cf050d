package io.danmakurelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.PushConnectionStats;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hybrid mode for real: simulator (push and gethistory) → relay → embedded Kafka, with the simulator
 * dropping every push connection a few seconds after it authenticates.
 */
@DisplayName("Hybrid mode: push with gethistory backfill")
class HybridPushIntegrationTest {

  @TempDir
  Path dataDir;

  @Test
  @DisplayName("Connections dropped every 2-4 s: Kafka holds every generated message once and every pushed event once")
  void droppedConnections() throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 3, 12, 11))) {
      String base = "http://127.0.0.1:" + h.sim.port();
      // Nothing is generated before the relay holds every room's push stream: what was sent before a relay
      // started is no one's to capture.
      h.sim.pause();
      List<Long> rooms = h.sim.roomIds();
      h.startRelay(h.flags(dataDir, "gethistory",
          "upstream.mode=hybrid",
          "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
          "upstream.navUrl=" + base + "/x/web-interface/nav",
          "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
          "upstream.requestsPerSecond=20",
          "push.heartbeatMs=1000",
          "push.reconnectInitialMs=200",
          "push.reconnectMaxMs=1000",
          "rooms=" + rooms.get(0) + "," + rooms.get(1) + "," + rooms.get(2)));
      RelayHarness.await("every room connected", Duration.ofSeconds(60), () -> allConnected(h, rooms));
      h.sim.control(new JsonObject().put("op", "push").put("fault", "drop-every").put("min_s", 2).put("max_s", 4));
      h.sim.control(new JsonObject().put("op", "push").put("fault", "drop"));
      h.sim.resume();
      RelayHarness.await("four push connections per room", Duration.ofSeconds(90), () -> rooms.stream()
          .allMatch(r -> h.sim.pushConnections().stream().filter(c -> c.room() == r && c.authedAt() > 0).count() >= 4));
      h.sim.pause();
      h.sim.control(new JsonObject().put("op", "push").put("fault", "drop-every").put("min_s", 0).put("max_s", 0));
      // Every room connected again after its last drop, and its backfill poll answered.
      RelayHarness.await("every room connected again", Duration.ofSeconds(60), () -> allConnected(h, rooms));
      RelayHarness.await("backfills answered", Duration.ofSeconds(60), () -> h.metric("danmaku_polls_total", "") > 0);

      // Exactly the generated messages, each once. Not in generation order: a backfill publishes the older
      // messages it found after the newer ones push delivered first.
      long generated = h.sim.stats().getJsonObject("totals").getLong("generated");
      List<ConsumerRecord<String, byte[]>> messages =
          RelayHarness.consume(h.relay.bootstrapServers(), "danmaku", generated);
      List<String> published = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r : messages) {
        JsonObject v = RelayHarness.json(r);
        published.add(v.getLong("room_id") + "/" + v.getString("id"));
      }
      List<String> truthIds = new ArrayList<>();
      for (long r : rooms) {
        h.sim.messages(r).forEach(m -> truthIds.add(r + "/" + m.idStr()));
      }
      assertThat(published).doesNotHaveDuplicates();
      assertThat(published).containsExactlyInAnyOrderElementsOf(truthIds);
      assertThat(h.metric("danmaku_backfilled_messages_total", "")).isPositive();
      long pushed = messages.stream().filter(r -> "push".equals(RelayHarness.header(r, "source"))).count();
      assertThat(pushed).as("messages published from push").isPositive();
      assertThat(messages).allSatisfy(r -> assertThat(RelayHarness.header(r, "source")).isIn("push", "gethistory"));

      List<String> eventTruth = new ArrayList<>();
      for (PushConnectionStats c : h.sim.pushConnections()) {
        eventTruth.addAll(c.eventIds());
      }
      List<ConsumerRecord<String, byte[]>> events =
          RelayHarness.consume(h.relay.bootstrapServers(), "danmaku-events", eventTruth.size());
      List<String> eventIds = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r : events) {
        JsonObject v = RelayHarness.json(r);
        assertThat(RelayHarness.header(r, "source")).isEqualTo("push");
        assertThat(r.key()).isEqualTo(v.getLong("room_id").toString());
        assertThat(v.getString("cmd")).isEqualTo(v.getJsonObject("raw").getString("cmd"));
        eventIds.add(v.getJsonObject("raw").getString("sim_id"));
      }
      assertThat(eventIds).doesNotHaveDuplicates();
      Set<String> truth = new HashSet<>(eventTruth);
      assertThat(new HashSet<>(eventIds)).isEqualTo(truth);
      assertThat(h.metric("danmaku_push_reconnects_total", "reason=\"closed\"")).isGreaterThanOrEqualTo(6);
    }
  }

  private static boolean allConnected(RelayHarness h, List<Long> rooms) throws Exception {
    for (long r : rooms) {
      if (!"connected".equals(state(h, r))) {
        return false;
      }
    }
    return true;
  }

  private static String state(RelayHarness h, long room) throws Exception {
    JsonObject entry = h.roomEntry(room);
    return entry == null ? null : entry.getString("state");
  }
}
