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
          .allMatch(r -> h.sim.authedPushConnections(r).size() >= 4));
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

  @Test
  @DisplayName("Connections dropped every 20-40 s in 6 rooms: Kafka holds exactly what was pushed to the relay or"
      + " served in a gethistory window, each once, and every pushed event once")
  void droppedEveryTwentyToFortySeconds() throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 6, 30, 23))) {
      String base = "http://127.0.0.1:" + h.sim.port();
      h.sim.pause();
      List<Long> rooms = h.sim.roomIds();
      // One busy room outruns the 10-message window while its push waits the reconnect delay (the malformed frame
      // below), so backfill cannot recover all of it: the ground truth is what the relay could see, not everything
      // generated.
      h.sim.setRate(rooms.get(0), 25);
      h.startRelay(h.flags(dataDir, "gethistory",
          "upstream.mode=hybrid",
          "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
          "upstream.navUrl=" + base + "/x/web-interface/nav",
          "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
          "upstream.requestsPerSecond=20",
          // A poll the simulator served but the relay gave up on would be in the truth and not in Kafka.
          "upstream.timeoutMs=30000",
          "rooms=" + rooms.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","))));
      RelayHarness.await("every room connected", Duration.ofSeconds(120), () -> allConnected(h, rooms));
      h.sim.control(new JsonObject().put("op", "push").put("fault", "drop-every").put("min_s", 20).put("max_s", 40));
      h.sim.control(new JsonObject().put("op", "push").put("fault", "drop"));
      long resumedAt = h.sim.stats().getLong("now");
      h.sim.resume();
      // A timed drop of a healthy connection is reconnected at once, so push misses only the few milliseconds of
      // the reconnect, often no message at all. One malformed frame to the busy room (sent on its next
      // authenticated connection) makes it wait the reconnect delay (500-1,000 ms at push.reconnectInitialMs
      // 1000), in which it sends messages that only a poll can see.
      h.sim.control(new JsonObject().put("op", "push").put("fault", "garbage").put("kind", "nonjson")
          .put("room", rooms.get(0)));
      // Five connections after the resume: the one after the drop above, then four timed drops (80-160 s).
      RelayHarness.await("four timed drops per room", Duration.ofSeconds(300), () -> rooms.stream()
          .allMatch(r -> h.sim.pushConnections(r).stream()
              .filter(c -> c.authedAt() >= resumedAt).count() >= 5));
      h.sim.pause();
      h.sim.control(new JsonObject().put("op", "push").put("fault", "drop-every").put("min_s", 0).put("max_s", 0));
      RelayHarness.await("every room connected again", Duration.ofSeconds(120), () -> allConnected(h, rooms));
      // The last reconnects' backfill polls mark what they served, and a message the simulator generated just
      // before its pause may still be on its way to a connection: wait until the truth holds still between two
      // reads and the relay published exactly that many, so the truth and Kafka are compared at rest.
      Truth[] settled = new Truth[1];
      RelayHarness.await("the relay published the ground truth, at rest", Duration.ofSeconds(120), () -> {
        Truth first = groundTruth(h, rooms);
        double published = h.metric("danmaku_messages_published_total", "");
        Truth second = groundTruth(h, rooms);
        settled[0] = second;
        return first.all.equals(second.all) && published == second.all.size();
      });

      Truth truth = settled[0];
      List<ConsumerRecord<String, byte[]>> messages =
          RelayHarness.consume(h.relay.bootstrapServers(), "danmaku", truth.all.size());
      List<String> published = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r : messages) {
        JsonObject v = RelayHarness.json(r);
        String key = v.getLong("room_id") + "/" + v.getString("id");
        published.add(key);
        String source = RelayHarness.header(r, "source");
        if (!truth.pushed.contains(key)) {
          assertThat(source).as("source of %s, never pushed to the relay", key).isEqualTo("gethistory");
        } else if (!truth.polled.contains(key)) {
          assertThat(source).as("source of %s, in no gethistory window", key).isEqualTo("push");
        }
      }
      assertThat(published).as("published twice").doesNotHaveDuplicates();
      assertThat(published).containsExactlyInAnyOrderElementsOf(truth.all);
      Set<String> onlyPolled = new HashSet<>(truth.all);
      onlyPolled.removeAll(truth.pushed);
      assertThat(onlyPolled).as("messages only a backfill or stand-in poll saw").isNotEmpty();
      assertThat(h.metric("danmaku_backfilled_messages_total", "")).isPositive();
      // Every room's connection closed by the drop, then four timed drops, except the busy room, whose malformed
      // frame gave it its fifth connection after three.
      assertThat(h.metric("danmaku_push_reconnects_total", "reason=\"closed\"")).isGreaterThanOrEqualTo(5 * 5 + 4);
      assertThat(h.metric("danmaku_push_reconnects_total", "reason=\"malformed\"")).isEqualTo(1);
      assertThat(h.metric("danmaku_push_reconnects_immediate_total", "")).as("timed drops reconnected at once")
          .isPositive();

      List<String> eventTruth = new ArrayList<>();
      for (PushConnectionStats c : h.sim.pushConnections()) {
        eventTruth.addAll(c.eventIds());
      }
      List<ConsumerRecord<String, byte[]>> events =
          RelayHarness.consume(h.relay.bootstrapServers(), "danmaku-events", eventTruth.size());
      List<String> eventIds = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r : events) {
        eventIds.add(RelayHarness.json(r).getJsonObject("raw").getString("sim_id"));
      }
      assertThat(eventIds).as("events published twice").doesNotHaveDuplicates();
      assertThat(eventIds).containsExactlyInAnyOrderElementsOf(eventTruth);
    }
  }

  /** What the relay could have seen, as room/id_str: pushed to one of its connections, or in a served poll window. */
  record Truth(Set<String> pushed, Set<String> polled, Set<String> all) {}

  private static Truth groundTruth(RelayHarness h, List<Long> rooms) {
    Set<String> pushed = new HashSet<>();
    Set<String> polled = new HashSet<>();
    List<PushConnectionStats> connections = h.sim.pushConnections();
    for (long r : rooms) {
      java.util.BitSet seqs = h.sim.polledSeqs(r);
      // Read after the seqs above, so it holds every message they name.
      List<io.danmakurelay.sim.SimMessage> all = h.sim.messages(r);
      for (PushConnectionStats c : connections) {
        if (c.room() == r) {
          for (int seq : c.messageSeqs()) {
            pushed.add(r + "/" + all.get(seq).idStr());
          }
        }
      }
      for (int seq = seqs.nextSetBit(0); seq >= 0; seq = seqs.nextSetBit(seq + 1)) {
        polled.add(r + "/" + all.get(seq).idStr());
      }
    }
    Set<String> union = new HashSet<>(pushed);
    union.addAll(polled);
    return new Truth(pushed, polled, union);
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
