package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §8 with real processes: three relay processes (then a fourth) in one Kafka group on a broker the test
 * starts, sharing the simulator's 60 rooms. One is killed with kill -9, one paused with SIGSTOP past the session
 * timeout (a zombie) and resumed, one joins late; afterwards Kafka holds every message once and every room's
 * seq runs 1, 2, 3, ... across all the hand-overs.
 */
class ClusterIntegrationTest {

  private static final int SESSION_TIMEOUT_MS = 8_000;
  private static final int PARTITIONS = 12;
  /** Slow rooms (0.05 msg/s each): the upstream's window of 10 covers any hand-over many times over. */
  private static final double TOTAL_RATE = 3.0;

  @Test
  @DisplayName("three relay processes share 60 rooms; kill -9, SIGSTOP and a late join move rooms without a "
      + "message lost or doubled, and seq stays 1, 2, 3, ... per room")
  void clusterOfProcesses(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0);
    List<RelayHarness.ChildRelay> children = new ArrayList<>();
    SimulatorSettings settings = new SimulatorSettings(SimulatorSettings.DEFAULT_HOST, 0, 60, TOTAL_RATE, 0.0, 31, 0,
        SimulatorSettings.DEFAULT_BAN_SECONDS, 0.05, 0.03, 0, SimulatorSettings.DEFAULT_MESSAGE_CAP);
    try (RelayHarness h = new RelayHarness(settings)) {
      Set<Long> all = new HashSet<>(h.sim.roomIds());
      assertThat(all).hasSize(60);
      String rooms = "rooms=" + h.sim.roomIds().stream().map(String::valueOf).collect(Collectors.joining(","));
      h.sim.pause();

      // Three relays, started at once (each JVM takes a while on a loaded machine).
      List<CompletableFuture<RelayHarness.ChildRelay>> starting = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        String id = "r" + i;
        starting.add(CompletableFuture.supplyAsync(() -> start(h, dir, id, kafka, rooms)));
      }
      for (CompletableFuture<RelayHarness.ChildRelay> f : starting) {
        children.add(f.get(180, TimeUnit.SECONDS));
      }
      RelayHarness.ChildRelay r1 = children.get(0);
      RelayHarness.ChildRelay r2 = children.get(1);
      RelayHarness.ChildRelay r3 = children.get(2);

      // 1. The rooms spread over the three, each polling only its own.
      await("60 rooms spread over three relays", Duration.ofSeconds(120),
          () -> partition(h, all, List.of(r1, r2, r3)) != null);
      h.sim.resume();
      await("every relay published", Duration.ofSeconds(120),
          () -> published(h, r1) > 0 && published(h, r2) > 0 && published(h, r3) > 0);

      // 2. kill -9 one: its rooms are polled again by the others within the session timeout + 10 s.
      Set<Long> ofR3 = scheduled(h, r3);
      assertThat(ofR3).isNotEmpty();
      r3.process().destroyForcibly();
      assertThat(r3.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      long killedAt = System.nanoTime();
      Map<Long, Long> before = new HashMap<>();
      ofR3.forEach(room -> before.put(room, h.simRequests(room)));
      await("the rooms of the killed relay polled again", Duration.ofSeconds(120),
          () -> ofR3.stream().allMatch(room -> h.simRequests(room) > before.get(room)));
      long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      System.out.printf("cluster: kill -9 of r3 (%d rooms) to every room polled again: %d ms (session timeout %d ms)%n",
          ofR3.size(), takeoverMs, SESSION_TIMEOUT_MS);
      assertThat(takeoverMs).as("ms from kill -9 to every room polled again").isLessThanOrEqualTo(SESSION_TIMEOUT_MS + 10_000);
      await("60 rooms spread over the two left", Duration.ofSeconds(120), () -> partition(h, all, List.of(r1, r2)) != null);

      // 3. SIGSTOP one past the session timeout: the other takes all its rooms (fencing its producers), then
      //    SIGCONT: the zombie commits nothing for the rooms it lost, rejoins and gets partitions again.
      Set<Long> ofR2 = scheduled(h, r2);
      assertThat(ofR2).isNotEmpty();
      signal("STOP", r2.process());
      long stoppedAt = System.nanoTime();
      await("the last running relay polls all 60 rooms", Duration.ofSeconds(120), () -> scheduled(h, r1).equals(all));
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt)).isGreaterThanOrEqualTo(SESSION_TIMEOUT_MS / 2);
      System.out.printf("cluster: SIGSTOP of r2 (%d rooms) to r1 polling all 60: %d ms%n", ofR2.size(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt));
      long continuedAtMs = System.currentTimeMillis();
      signal("CONT", r2.process());
      await("the resumed relay owns rooms again", Duration.ofSeconds(120), () -> !scheduled(h, r2).isEmpty()
          && partition(h, all, List.of(r1, r2)) != null);
      Set<Long> ofR2Again = scheduled(h, r2);
      System.out.printf("cluster: SIGCONT of r2 to it owning %d rooms again: %d ms%n", ofR2Again.size(),
          System.currentTimeMillis() - continuedAtMs);

      // 4. A fourth relay joins: partitions spread to it.
      RelayHarness.ChildRelay r4 = start(h, dir, "r4", kafka, rooms);
      children.add(r4);
      await("60 rooms spread over r1, r2, r4", Duration.ofSeconds(120),
          () -> partition(h, all, List.of(r1, r2, r4)) != null && !scheduled(h, r4).isEmpty());
      long r4Up = System.nanoTime();
      await("the new relay published", Duration.ofSeconds(120), () -> published(h, r4) > 0);
      System.out.printf("cluster: r4 serving to rooms spread and r4 published: %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - r4Up));

      // 5. Kafka equals the ground truth, and every room's seq is 1, 2, 3, ...
      h.sim.pause();
      h.assertKafkaMatchesGroundTruth(kafka.bootstrapServers(), "danmaku");
      List<ConsumerRecord<String, byte[]>> records = RelayHarness.consume(kafka.bootstrapServers(), "danmaku",
          h.sim.stats().getJsonObject("totals").getLong("generated"));
      Map<Long, List<Long>> seqs = new TreeMap<>();
      Set<String> writers = new HashSet<>();
      List<String> zombieCommits = new ArrayList<>();
      Set<Long> lostByZombie = new HashSet<>(ofR2);
      lostByZombie.removeAll(ofR2Again);
      for (ConsumerRecord<String, byte[]> r : records) {
        JsonObject v = RelayHarness.json(r);
        long room = v.getLong("room_id");
        seqs.computeIfAbsent(room, k -> new ArrayList<>()).add(v.getLong("seq"));
        String relay = RelayHarness.header(r, "relay");
        writers.add(relay);
        if ("r2".equals(relay) && r.timestamp() >= continuedAtMs && lostByZombie.contains(room)) {
          zombieCommits.add(room + "#" + v.getLong("seq"));
        }
      }
      assertThat(writers).as("relay headers of the danmaku records").containsExactlyInAnyOrder("r1", "r2", "r3", "r4");
      assertThat(zombieCommits).as("records the resumed zombie committed in rooms it had lost").isEmpty();
      seqs.forEach((room, list) -> {
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= list.size(); s++) {
          expected.add(s);
        }
        assertThat(list).as("seq of room " + room + " in Kafka order").isEqualTo(expected);
      });
      assertThat(seqs.keySet()).as("rooms with messages").hasSizeGreaterThan(40);
    } finally {
      for (RelayHarness.ChildRelay child : children) {
        signal("CONT", child.process());
        child.process().destroyForcibly();
      }
      kafka.close();
    }
  }

  private static RelayHarness.ChildRelay start(RelayHarness h, Path dir, String id, EmbeddedKafka kafka, String rooms) {
    try {
      Path own = Files.createDirectories(dir.resolve(id));
      List<String> flags = h.flags(own.resolve("unused"), "ajax-msg", rooms, "poll.strategy=fixed",
          "poll.intervalMs=1000", "poll.minIntervalMs=500", "upstream.requestsPerSecond=40",
          "kafka.bootstrapServers=" + kafka.bootstrapServers(), "cluster.enabled=true", "cluster.instanceId=" + id,
          "cluster.partitions=" + PARTITIONS, "cluster.sessionTimeoutMs=" + SESSION_TIMEOUT_MS);
      return h.startChildRelay(flags, own);
    } catch (Exception e) {
      throw new IllegalStateException("starting relay " + id, e);
    }
  }

  /** The rooms the relay polls now: those in its schedule ({@code interval_ms} set in /api/rooms). */
  private static Set<Long> scheduled(RelayHarness h, RelayHarness.ChildRelay child) throws Exception {
    HttpResponse<String> response = h.http.send(HttpRequest.newBuilder(URI.create(child.url("/api/rooms")))
        .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    Set<Long> out = new HashSet<>();
    for (Object o : new JsonObject(response.body()).getJsonArray("rooms")) {
      JsonObject entry = (JsonObject) o;
      if (entry.getValue("interval_ms") != null && entry.getLong("room_id") != null) {
        out.add(entry.getLong("room_id"));
      }
    }
    return out;
  }

  /** The relays' rooms when they are disjoint, cover {@code all} and none is empty; else null. */
  private static List<Set<Long>> partition(RelayHarness h, Set<Long> all, List<RelayHarness.ChildRelay> relays)
      throws Exception {
    List<Set<Long>> sets = new ArrayList<>();
    Set<Long> union = new HashSet<>();
    int total = 0;
    for (RelayHarness.ChildRelay relay : relays) {
      Set<Long> own = scheduled(h, relay);
      if (own.isEmpty()) {
        return null;
      }
      sets.add(own);
      union.addAll(own);
      total += own.size();
    }
    return union.equals(all) && total == all.size() ? sets : null;
  }

  private static double published(RelayHarness h, RelayHarness.ChildRelay child) throws Exception {
    String body = h.http.send(HttpRequest.newBuilder(URI.create(child.url("/metrics"))).timeout(Duration.ofSeconds(15))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    return body.lines().filter(l -> l.startsWith("danmaku_messages_published_total "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static void signal(String signal, Process process) {
    if (!process.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid(), e);
    }
  }
}
