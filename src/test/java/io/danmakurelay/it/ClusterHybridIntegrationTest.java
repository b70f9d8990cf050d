package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.Relay;
import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster in the default upstream mode, hybrid (SPEC §8 with §1b): two relays in one JVM on one real broker,
 * the simulator serving push and gethistory. A relay connects only the rooms of its partitions, each room has one
 * push connection cluster-wide at any moment (the simulator counts the authenticated connections open per room
 * and their peak), a relay that stops hands its rooms' connections over to the other, and Kafka holds every
 * message once with every room's seq 1, 2, 3, ...
 */
class ClusterHybridIntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int ROOMS = 12;

  private static List<String> flags(RelayHarness h, String bootstrap, String instance, Path dir, String rooms) {
    String base = "http://127.0.0.1:" + h.sim.port();
    List<String> flags = new ArrayList<>(h.flags(dir, "gethistory",
        "upstream.mode=hybrid",
        "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
        "upstream.navUrl=" + base + "/x/web-interface/nav",
        "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
        "upstream.requestsPerSecond=20",
        "push.reconnectInitialMs=200",
        "push.reconnectMaxMs=1000",
        rooms));
    flags.addAll(List.of("kafka.bootstrapServers=" + bootstrap, "cluster.enabled=true",
        "cluster.instanceId=" + instance, "cluster.partitions=8"));
    return flags;
  }

  private static JsonObject get(RelayHarness h, Relay relay, String path) throws Exception {
    return new JsonObject(h.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.httpPort() + path))
        .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  /** The rooms whose push stream the relay holds now ({@code "push":"connected"} in its /api/rooms). */
  private static Set<Long> connected(RelayHarness h, Relay relay) throws Exception {
    Set<Long> out = new HashSet<>();
    for (Object o : get(h, relay, "/api/rooms").getJsonArray("rooms")) {
      JsonObject entry = (JsonObject) o;
      if ("connected".equals(entry.getString("push")) && entry.getLong("room_id") != null) {
        out.add(entry.getLong("room_id"));
      }
    }
    return out;
  }

  /** The rooms the relay's /api/rooms says it owns. */
  private static Set<Long> owned(RelayHarness h, Relay relay, String instance) throws Exception {
    Set<Long> out = new HashSet<>();
    for (Object o : get(h, relay, "/api/rooms").getJsonArray("rooms")) {
      JsonObject entry = (JsonObject) o;
      if (instance.equals(entry.getString("owner")) && entry.getLong("room_id") != null) {
        out.add(entry.getLong("room_id"));
      }
    }
    return out;
  }

  /** Per room, the simulator's authenticated push connections open now and their peak: {open, peak}. */
  private static Map<Long, int[]> simConnections(RelayHarness h) {
    Map<Long, int[]> out = new TreeMap<>();
    for (Object o : h.sim.stats().getJsonArray("rooms")) {
      JsonObject room = (JsonObject) o;
      out.put(room.getLong("room_id"),
          new int[] {room.getInteger("push_connections"), room.getInteger("push_connections_peak")});
    }
    return out;
  }

  private static boolean oneConnectionEach(RelayHarness h) {
    Map<Long, int[]> connections = simConnections(h);
    return connections.size() == ROOMS && connections.values().stream().allMatch(c -> c[0] == 1);
  }

  /** The rooms whose peak exceeded one connection, with the peak. */
  private static Map<Long, Integer> doubled(RelayHarness h) {
    Map<Long, Integer> out = new TreeMap<>();
    simConnections(h).forEach((room, c) -> {
      if (c[1] > 1) {
        out.put(room, c[1]);
      }
    });
    return out;
  }

  /** Requests the simulator served per room (gethistory polls: in hybrid mode, the backfills). */
  private static Map<Long, Long> simPolls(RelayHarness h) {
    Map<Long, Long> out = new HashMap<>();
    for (Object o : h.sim.stats().getJsonArray("rooms")) {
      JsonObject room = (JsonObject) o;
      out.put(room.getLong("room_id"), room.getLong("requests"));
    }
    return out;
  }

  @Test
  @DisplayName("hybrid mode in a cluster of two: each relay connects (and backfills) only its own rooms, every room "
      + "has one push connection at any time, a relay stopping hands its connections to the other, and Kafka holds "
      + "every message once with seq 1, 2, 3, ... per room")
  void hybridClusterHandsPushConnectionsOver(@TempDir Path dir) throws Exception {
    SimulatorSettings settings = new SimulatorSettings(SimulatorSettings.DEFAULT_HOST, 0, ROOMS, 3.0, 0.0, 41, 0,
        SimulatorSettings.DEFAULT_BAN_SECONDS, 0.05, 0.03, 0, SimulatorSettings.DEFAULT_MESSAGE_CAP);
    try (RelayHarness h = new RelayHarness(settings)) {
      // Nothing is generated until both relays hold their rooms' streams (a room with more than its window of 10
      // before its first backfill would lose the excess, by design); then slow rooms (0.25 msg/s), whose gethistory
      // window covers every hand-over many times over.
      h.sim.pause();
      try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0)) {
        Set<Long> all = new HashSet<>(h.sim.roomIds());
        String rooms = "rooms=" + h.sim.roomIds().stream().map(String::valueOf).collect(Collectors.joining(","));
        String bootstrap = kafka.bootstrapServers();
        Relay a = Relay.start(ConfigLoader.load(null, Map.of(), flags(h, bootstrap, "a", dir.resolve("a"), rooms)));
        try {
          await("relay a alone connects every room", WAIT, () -> connected(h, a).equals(all) && oneConnectionEach(h));
          Relay b = Relay.start(ConfigLoader.load(null, Map.of(), flags(h, bootstrap, "b", dir.resolve("b"), rooms)));
          Set<Long> ofB;
          Map<Long, Long> pollsBefore;
          long stoppedAt;
          try {
            // 1. The group settled: each relay holds the streams of exactly the rooms it owns, one per room.
            await("each relay connects exactly the rooms it owns", WAIT, () -> {
              Set<Long> ownedByA = owned(h, a, "a");
              Set<Long> ownedByB = owned(h, b, "b");
              return !ownedByA.isEmpty() && !ownedByB.isEmpty() && ownedByA.size() + ownedByB.size() == ROOMS
                  && connected(h, a).equals(ownedByA) && connected(h, b).equals(ownedByB) && oneConnectionEach(h);
            });
            ofB = owned(h, b, "b");
            await("relay a names b the owner of b's rooms", WAIT, () -> owned(h, a, "b").equals(ofB));
            assertThat(simPolls(h).values()).as("gethistory backfills per room after its connects")
                .allSatisfy(polls -> assertThat(polls).isPositive());
            assertThat(doubled(h)).as("rooms that ever had two push connections at once").isEmpty();

            h.sim.resume();
            await("messages of b's rooms published", WAIT, () -> RelayHarness.consume(bootstrap, "danmaku", 0).stream()
                .filter(r -> "b".equals(RelayHarness.header(r, "relay"))).count() >= 5);
            pollsBefore = simPolls(h);

            // 2. b stops (gracefully): its rooms' connections close as it hands them over, and a opens them.
          } finally {
            stoppedAt = System.nanoTime();
            b.close();
          }
          await("relay a connects all rooms again", WAIT, () -> connected(h, a).equals(all) && oneConnectionEach(h)
              && owned(h, a, "a").equals(all));
          System.out.printf("cluster hybrid: b's %d rooms connected by a %d ms after b began to stop; rooms that"
              + " ever had two push connections at once: %s%n", ofB.size(),
              java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt), doubled(h));
          assertThat(doubled(h)).as("rooms that ever had two push connections at once").isEmpty();
          // Connected rooms are not polled (push covers them): a poll since b stopped is the backfill of a new
          // connection, which b's former rooms have and a's own, whose connections stayed up, do not.
          await("a backfills b's former rooms as it connects them", WAIT, () -> {
            Map<Long, Long> polls = simPolls(h);
            return ofB.stream().allMatch(room -> polls.get(room) > pollsBefore.get(room));
          });
          Map<Long, Long> polls = simPolls(h);
          Set<Long> polledSince = all.stream().filter(room -> polls.get(room) > pollsBefore.get(room))
              .collect(Collectors.toSet());
          assertThat(polledSince).as("rooms polled since b stopped").isEqualTo(ofB);
          await("messages of b's former rooms published by a", WAIT, () -> RelayHarness.consume(bootstrap, "danmaku", 0)
              .stream().filter(r -> "a".equals(RelayHarness.header(r, "relay"))
                  && ofB.contains(RelayHarness.json(r).getLong("room_id"))).count() >= 5);
          h.sim.pause();

          // 3. Kafka: every message the relays could have seen once, by id_str, and every room's seq 1, 2, 3, ... in
          // Kafka order. "Could have seen": pushed to a connection of either relay, or in a gethistory window the
          // simulator served (its own records). A message sent while a room was between owners and pushed out of the
          // 10-message window before the new owner's backfill is lost by the upstream's design, not the relay's; a
          // message pushed to b and not committed when b let the room go is the relay's loss, and fails here.
          Set<String> seen = new HashSet<>();
          List<io.danmakurelay.sim.PushConnectionStats> connections = h.sim.pushConnections();
          Set<String> generatedIds = new HashSet<>();
          for (long room : h.sim.roomIds()) {
            java.util.BitSet polledSeqs = h.sim.polledSeqs(room);
            // Read after the seqs above, so it holds every message they name.
            List<io.danmakurelay.sim.SimMessage> sent = h.sim.messages(room);
            sent.forEach(m -> generatedIds.add(room + "/" + m.idStr()));
            for (io.danmakurelay.sim.PushConnectionStats c : connections) {
              if (c.room() == room) {
                for (int seq : c.messageSeqs()) {
                  seen.add(room + "/" + sent.get(seq).idStr());
                }
              }
            }
            for (int seq = polledSeqs.nextSetBit(0); seq >= 0; seq = polledSeqs.nextSetBit(seq + 1)) {
              seen.add(room + "/" + sent.get(seq).idStr());
            }
          }
          List<ConsumerRecord<String, byte[]>> records = RelayHarness.consume(bootstrap, "danmaku", seen.size());
          List<String> ids = new ArrayList<>();
          Map<Long, List<Long>> seqs = new TreeMap<>();
          Set<String> writers = new HashSet<>();
          for (ConsumerRecord<String, byte[]> r : records) {
            JsonObject v = RelayHarness.json(r);
            ids.add(v.getLong("room_id") + "/" + v.getString("id"));
            seqs.computeIfAbsent(v.getLong("room_id"), k -> new ArrayList<>()).add(v.getLong("seq"));
            writers.add(RelayHarness.header(r, "relay"));
          }
          assertThat(ids).as("ids published twice").doesNotHaveDuplicates();
          assertThat(generatedIds).as("published, none made up").containsAll(ids);
          assertThat(ids).as("every message pushed to a relay or in a served window is published").containsAll(seen);
          assertThat(writers).containsExactlyInAnyOrder("a", "b");
          seqs.forEach((room, list) -> {
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= list.size(); s++) {
              expected.add(s);
            }
            assertThat(list).as("seq of room " + room + " in Kafka order").isEqualTo(expected);
          });
          assertThat(doubled(h)).as("rooms that ever had two push connections at once").isEmpty();
        } finally {
          a.close();
        }
      }
    }
  }
}
