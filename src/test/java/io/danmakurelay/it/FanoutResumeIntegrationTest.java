package io.danmakurelay.it;

import io.danmakurelay.web.Endpoints;
import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.testsupport.WsProbe;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WebSocket fan-out as fed by Kafka, over a whole relay and the real broker: what a client sees is
 * exactly what Kafka committed, and a client resuming with {@code since} after a restart (graceful or
 * {@code kill -9}) gets precisely what it missed.
 */
class FanoutResumeIntegrationTest {

  private static final List<Long> ROOMS = List.of(1000001L, 1000002L, 1000003L);

  private Vertx clientVertx;
  private WebSocketClient client;

  @BeforeEach
  void setUp() {
    clientVertx = Vertx.vertx();
    client = clientVertx.createWebSocketClient();
  }

  @AfterEach
  void tearDown() throws Exception {
    clientVertx.close().await(10, TimeUnit.SECONDS);
  }

  // The simulator sends no identical repeats here (withTraffic(0.0, ...)): ajax-msg items carry no id, and a repeat
  // that a window edge cuts from its twin cannot be told from the twin (ListDeduper, by design), so "Kafka holds
  // every generated message" would depend on where polls fall. These tests are about resuming, not about repeats.
  private static List<String> flags(RelayHarness h, Path dir, String... more) {
    List<String> flags = h.flags(dir, "ajax-msg", "rooms=1000001,1000002,1000003", "poll.strategy=fixed",
        "poll.intervalMs=200", "poll.minIntervalMs=100", "upstream.requestsPerSecond=40");
    flags.addAll(List.of(more));
    return flags;
  }

  private static JsonObject subscribe(Map<Long, Long> since) {
    JsonObject sinceJson = new JsonObject();
    since.forEach((room, seq) -> sinceJson.put(Long.toString(room), seq));
    return new JsonObject().put("op", "subscribe").put("rooms", new JsonArray(new ArrayList<>(since.keySet())))
        .put("since", sinceJson);
  }

  /** Subscribes to every room with the given resume points and checks the reply. */
  private static void subscribeAll(WsProbe probe, Map<Long, Long> since) {
    probe.send(subscribe(since));
    assertThat(probe.next().getString("op")).isEqualTo("subscribed");
  }

  /** Reads danmaku frames until {@code done} says enough, failing on any other frame. */
  private static Map<Long, List<JsonObject>> readUntil(WsProbe probe,
      java.util.function.Predicate<Map<Long, List<JsonObject>>> done, java.util.function.Supplier<String> diagnosis) {
    Map<Long, List<JsonObject>> byRoom = new TreeMap<>();
    ROOMS.forEach(room -> byRoom.put(room, new ArrayList<>()));
    while (!done.test(byRoom)) {
      JsonObject frame;
      try {
        // Generous: the machine running the tests may be shared with many builds.
        frame = probe.received.poll(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      if (frame == null) {
        Map<Long, List<Long>> seqs = new TreeMap<>();
        byRoom.forEach((room, frames) -> seqs.put(room, frames.stream().map(f -> f.getLong("seq")).toList()));
        throw new AssertionError("no frame within 30 s; seqs received so far: " + seqs + "; " + diagnosis.get());
      }
      assertThat(frame.getString("op")).as("frame %s", frame).isEqualTo("danmaku");
      byRoom.get(frame.getLong("room_id")).add(frame);
    }
    return byRoom;
  }

  /** What the relay's fan-out and its feed report, to tell a stalled feed from an undelivered frame. */
  private static String diagnosis(RelayHarness h) {
    try {
      return "relay: feed records read=" + h.metric("danmaku_ws_feed_records_total", "")
          + ", danmaku frames sent=" + h.metric("danmaku_ws_messages_sent_total", "")
          + ", repeats skipped=" + h.metric("danmaku_ws_repeats_skipped_total", "")
          + ", published=" + h.metric("danmaku_messages_published_total", "")
          + ", disconnects=" + h.metric("danmaku_ws_disconnects_total", "");
    } catch (Exception e) {
      return "relay metrics unavailable: " + e;
    }
  }

  private static Map<Long, Integer> seqCounts(Map<Long, List<JsonObject>> byRoom) {
    Map<Long, Integer> counts = new TreeMap<>();
    byRoom.forEach((room, values) -> counts.put(room, values.size()));
    return counts;
  }

  private static int total(Map<Long, List<JsonObject>> byRoom) {
    return byRoom.values().stream().mapToInt(List::size).sum();
  }

  /** The last seq a client has seen of a room, before the restart or after it (a room may have had nothing new). */
  private static long lastSeen(List<JsonObject> before, List<JsonObject> after) {
    return after.isEmpty() ? lastSeq(before) : lastSeq(after);
  }

  private static long lastSeq(List<JsonObject> frames) {
    return frames.isEmpty() ? 0 : frames.get(frames.size() - 1).getLong("seq");
  }

  /** Every record of the danmaku topic once the simulator is paused and everything it generated is in Kafka. */
  private static Map<Long, List<JsonObject>> kafkaByRoom(RelayHarness h, String bootstrap) {
    long generated = h.sim.stats().getJsonObject("totals").getLong("generated");
    List<ConsumerRecord<String, byte[]>> records = RelayHarness.consume(bootstrap, "danmaku", generated);
    assertThat(records).as("records in Kafka").hasSize((int) generated);
    Map<Long, List<JsonObject>> byRoom = new TreeMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      JsonObject value = RelayHarness.json(r);
      byRoom.computeIfAbsent(value.getLong("room_id"), k -> new ArrayList<>()).add(value);
    }
    // Durable seq: every room's messages in Kafka are numbered 1, 2, 3, ... in Kafka's order, across the restart.
    byRoom.forEach((room, values) -> assertThat(values).extracting(v -> v.getLong("seq")).as("seqs of room %d", room)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, values.size()).boxed().toList()));
    return byRoom;
  }

  /**
   * The frames seen before the restart are Kafka's first records of each room, the frames after the resume
   * are exactly the rest: no gap, no repeat, nothing Kafka does not hold.
   */
  private static void assertFramesAreKafka(Map<Long, List<JsonObject>> before, Map<Long, List<JsonObject>> after,
      Map<Long, List<JsonObject>> kafka) {
    for (long room : ROOMS) {
      List<JsonObject> held = kafka.getOrDefault(room, List.of());
      List<JsonObject> seen = new ArrayList<>();
      before.get(room).forEach(f -> seen.add(f.getJsonObject("msg")));
      after.get(room).forEach(f -> seen.add(f.getJsonObject("msg")));
      assertThat(seen).as("room %d: what the client saw before and after the restart", room).isEqualTo(held);
      List<Long> frameSeqs = new ArrayList<>();
      before.get(room).forEach(f -> frameSeqs.add(f.getLong("seq")));
      after.get(room).forEach(f -> frameSeqs.add(f.getLong("seq")));
      assertThat(frameSeqs).containsExactlyElementsOf(LongStream.rangeClosed(1, held.size()).boxed().toList());
    }
  }

  private static Map<Long, Long> sinceOf(Map<Long, List<JsonObject>> seen) {
    Map<Long, Long> since = new TreeMap<>();
    seen.forEach((room, frames) -> since.put(room, lastSeq(frames)));
    return since;
  }

  private static Map<Long, Long> fromStart() {
    Map<Long, Long> since = new TreeMap<>();
    ROOMS.forEach(room -> since.put(room, 0L));
    return since;
  }

  /**
   * The common tail of both restart tests: starts the relay again (the upstream paused), resumes a client with
   * since = the last seq it saw per room, lets traffic flow, pauses it, and checks the client got exactly the
   * rest of what Kafka holds, and nothing more.
   */
  private void resumeAndCompareWithKafka(RelayHarness h, List<String> flags, Map<Long, List<JsonObject>> before,
                                         java.util.function.Supplier<String> bootstrap) throws Exception {
    h.startRelay(flags);
    WsProbe resumed = WsProbe.open(client, h.relay.httpPort(), Endpoints.WS);
    subscribeAll(resumed, sinceOf(before));
    h.sim.resume();
    await("traffic after the restart", Duration.ofSeconds(30), () -> h.publishedPerApi() >= 10);
    h.sim.pause();
    Map<Long, List<JsonObject>> kafka = kafkaByRoom(h, bootstrap.get());
    Map<Long, List<JsonObject>> after = readUntil(resumed, seen -> ROOMS.stream().allMatch(room ->
        lastSeen(before.get(room), seen.get(room)) >= kafka.getOrDefault(room, List.of()).size()),
        () -> diagnosis(h) + "; in Kafka: " + seqCounts(kafka));
    assertThat(resumed.drainUntilPong()).as("nothing after what Kafka holds").isEmpty();
    assertFramesAreKafka(before, after, kafka);
    resumed.close();
  }

  @Test
  @DisplayName("a client that saw seq 1..N and resumes with since N after a graceful restart gets exactly N+1.., "
      + "equal to what Kafka holds, and seqs in Kafka run 1, 2, 3, ... across the restart")
  void resumeAfterGracefulRestart(@TempDir Path dir) throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 3, 4.0, 8).withTraffic(0.0, 0.05))) {
      List<String> flags = flags(h, dir.resolve("kafka"));
      h.sim.pause();
      h.startRelay(flags);
      WsProbe first = WsProbe.open(client, h.relay.httpPort(), Endpoints.WS);
      subscribeAll(first, fromStart());
      h.sim.resume();
      Map<Long, List<JsonObject>> before = readUntil(first, seen -> total(seen) >= 20, () -> diagnosis(h));
      first.close();

      // The upstream waits while the relay and its embedded broker restart, so that Kafka ends up holding every
      // message generated and "everything is in Kafka" can be awaited; what the client sees is compared with Kafka.
      h.sim.pause();
      h.relay.close();
      h.relay = null;
      resumeAndCompareWithKafka(h, flags, before, () -> h.relay.bootstrapServers());
    }
  }

  @Test
  @DisplayName("a client of a relay process killed with kill -9 saw only committed messages, and resuming with since "
      + "on the restarted relay gets exactly the rest of what Kafka holds")
  void resumeAfterKillNine(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0);
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 3, 6.0, 13).withTraffic(0.0, 0.05))) {
      List<String> flags = flags(h, dir.resolve("unused"), "kafka.bootstrapServers=" + kafka.bootstrapServers());
      h.sim.pause();
      RelayHarness.ChildRelay childRelay = h.startChildRelay(flags, dir);
      Process child = childRelay.process();
      int childPort = childRelay.httpPort();
      Map<Long, List<JsonObject>> before;
      try {
        WsProbe[] first = new WsProbe[1];
        await("the child relay serves /ws", Duration.ofSeconds(90), () -> {
          try {
            first[0] = WsProbe.await(WsProbe.connect(client, childPort, Endpoints.WS));
            return true;
          } catch (AssertionError notYet) {
            assertThat(child.isAlive()).as("the child relay runs (see child.log)").isTrue();
            return false;
          }
        });
        subscribeAll(first[0], fromStart());
        h.sim.resume();
        before = readUntil(first[0], seen -> total(seen) >= 20, () -> "the child relay: see child.log");
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        first[0].close();
      } finally {
        child.destroyForcibly();
      }
      // The upstream waits while the relay restarts (as in the graceful case), so Kafka ends up with every message.
      h.sim.pause();
      resumeAndCompareWithKafka(h, flags, before, kafka::bootstrapServers);
    } finally {
      kafka.close();
    }
  }

  @Test
  @DisplayName("a batch whose transaction is aborted never reaches a WebSocket client; the next committed one does")
  void abortedNeverDelivered(@TempDir Path dir) throws Exception {
    long room = 4_000_001;
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 1, 1.0, 5))) {
      h.sim.pause();
      h.startRelay(flags(h, dir.resolve("kafka")));
      WsProbe probe = WsProbe.open(client, h.relay.httpPort(), Endpoints.WS);
      probe.send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(room))
          .put("since", new JsonObject().put(Long.toString(room), 0)));
      assertThat(probe.next().getString("op")).isEqualTo("subscribed");
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, h.relay.bootstrapServers(),
          ProducerConfig.TRANSACTIONAL_ID_CONFIG, "abort-test", ProducerConfig.LINGER_MS_CONFIG, 0),
          new StringSerializer(), new ByteArraySerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        for (long seq = 1; seq <= 3; seq++) {
          producer.send(record(room, seq, "aborted " + seq));
        }
        producer.flush();
        producer.abortTransaction();
        producer.beginTransaction();
        for (long seq = 1; seq <= 2; seq++) {
          producer.send(record(room, seq, "committed " + seq));
        }
        producer.commitTransaction();
      }
      List<JsonObject> frames = probe.next(2);
      assertThat(frames).extracting(f -> f.getLong("seq"), f -> f.getJsonObject("msg").getString("text"))
          .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "committed 1"),
              org.assertj.core.groups.Tuple.tuple(2L, "committed 2"));
      assertThat(probe.drainUntilPong()).isEmpty();
      // A client arriving later finds the same in the history: the aborted records were never held either.
      WsProbe late = WsProbe.open(client, h.relay.httpPort(), Endpoints.WS);
      late.send(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(room))
          .put("since", new JsonObject().put(Long.toString(room), 0)));
      assertThat(late.next().getString("op")).isEqualTo("subscribed");
      assertThat(late.next(2)).extracting(f -> f.getJsonObject("msg").getString("text"))
          .containsExactly("committed 1", "committed 2");
      assertThat(late.drainUntilPong()).isEmpty();
      probe.close();
      late.close();
    }
  }

  private static ProducerRecord<String, byte[]> record(long room, long seq, String text) {
    return new ProducerRecord<>("danmaku", Long.toString(room), new JsonObject().put("room_id", room).put("seq", seq)
        .put("text", text).toBuffer().getBytes());
  }
}
