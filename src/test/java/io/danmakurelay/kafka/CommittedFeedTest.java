package io.danmakurelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.pipeline.CommittedRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fan-out's Kafka consumer against the real embedded broker: refill from the tail, then the live end. */
@DisplayName("CommittedFeed")
class CommittedFeedTest {

  @TempDir
  static Path dir;
  static EmbeddedKafka kafka;
  static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start(dir, 0);
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "feed-test", ProducerConfig.LINGER_MS_CONFIG, 0),
        new StringSerializer(), new ByteArraySerializer());
    producer.initTransactions();
  }

  @AfterAll
  static void stop() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  private static RelayConfig.Kafka topics(String topic, String events) {
    return ConfigLoader.load(null, Map.of(), List.of("kafka.topic=" + topic, "kafka.eventsTopic=" + events)).kafka();
  }

  private static void createTopic(String name, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty()))).all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static ProducerRecord<String, byte[]> message(String topic, long room, long seq, String text) {
    return new ProducerRecord<>(topic, Long.toString(room), new JsonObject().put("room_id", room).put("seq", seq)
        .put("text", text).toBuffer().getBytes());
  }

  /** One transaction holding the given records, committed or aborted. */
  private static void transaction(boolean commit, List<ProducerRecord<String, byte[]>> records) {
    producer.beginTransaction();
    records.forEach(producer::send);
    producer.flush();
    if (commit) {
      producer.commitTransaction();
    } else {
      producer.abortTransaction();
    }
  }

  /** What the feed handed over, in order. */
  static final class Collector implements CommittedFeed.Receiver {
    final List<CommittedRecord> records = Collections.synchronizedList(new ArrayList<>());

    @Override
    public CompletableFuture<Void> accept(List<CommittedRecord> batch) {
      records.addAll(batch);
      return CompletableFuture.completedFuture(null);
    }

    List<Long> seqsOf(long room) {
      synchronized (records) {
        return records.stream().filter(r -> r.roomId() == room && r.kind() == CommittedRecord.Kind.DANMAKU)
            .map(CommittedRecord::seq).toList();
      }
    }

    List<String> textsOf(long room) {
      synchronized (records) {
        return records.stream().filter(r -> r.roomId() == room)
            .map(r -> new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getString("text")).toList();
      }
    }
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  @DisplayName("at start each room gets its last historySize committed messages, a quiet room far back included, "
      + "aborted transactions never, and then the live records follow without a gap or a repeat")
  void refillThenLive() throws Exception {
    createTopic("refill", 3);
    createTopic("refill-events", 1);
    long busy = 1001;
    long quiet = 1002;
    long medium = 1003;
    // The quiet room's only messages come first, then thousands of the busy room's push them far back.
    transaction(true, List.of(message("refill", quiet, 1, "q1"), message("refill", quiet, 2, "q2")));
    transaction(false, List.of(message("refill", quiet, 3, "aborted"), message("refill", busy, 1, "aborted")));
    long busySeq = 0;
    long mediumSeq = 0;
    for (int tx = 0; tx < 60; tx++) {
      List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        records.add(message("refill", busy, ++busySeq, "b" + busySeq));
      }
      if (tx % 3 == 0) {
        records.add(message("refill", medium, ++mediumSeq, "m" + mediumSeq));
      }
      transaction(true, records);
      if (tx % 10 == 0) {
        transaction(false, List.of(message("refill", busy, busySeq + 1, "aborted")));
      }
    }
    Collector collector = new Collector();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CommittedFeed feed = new CommittedFeed(kafka.bootstrapServers(), topics("refill", "refill-events"), 150,
        Map.of(quiet, 2L, busy, busySeq, medium, mediumSeq), registry, collector)) {
      feed.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(collector.seqsOf(busy)).isEqualTo(range(busySeq - 149, busySeq));
      assertThat(collector.seqsOf(medium)).isEqualTo(range(1, mediumSeq));
      assertThat(collector.seqsOf(quiet)).isEqualTo(range(1, 2));
      assertThat(collector.textsOf(quiet)).containsExactly("q1", "q2");

      transaction(false, List.of(message("refill", quiet, 3, "aborted")));
      transaction(true, List.of(message("refill", quiet, 3, "q3"), message("refill", busy, busySeq + 1, "live"),
          new ProducerRecord<>("refill-events", Long.toString(quiet), new JsonObject().put("room_id", quiet)
              .put("cmd", "SEND_GIFT").toBuffer().getBytes())));
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> collector.seqsOf(quiet).size() == 3
          && collector.records.stream().anyMatch(r -> r.kind() == CommittedRecord.Kind.EVENT));
      assertThat(collector.seqsOf(quiet)).isEqualTo(range(1, 3));
      assertThat(collector.textsOf(quiet)).containsExactly("q1", "q2", "q3", null);
      assertThat(collector.seqsOf(busy)).isEqualTo(range(busySeq - 149, busySeq + 1));
      assertThat(collector.textsOf(quiet)).doesNotContain("aborted");
    }
  }

  @Test
  @DisplayName("with a {room} topic template it reads every room's topic, and a room topic created later from its start")
  void roomTopics() throws Exception {
    createTopic("tpl-7", 1);
    createTopic("tpl-events", 1);
    transaction(true, List.of(message("tpl-7", 7, 1, "a"), message("tpl-7", 7, 2, "b")));
    Collector collector = new Collector();
    try (CommittedFeed feed = new CommittedFeed(kafka.bootstrapServers(), topics("tpl-{room}", "tpl-events"), 1000,
        Map.of(), new SimpleMeterRegistry(), collector)) {
      feed.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(collector.seqsOf(7)).containsExactly(1L, 2L);
      createTopic("tpl-8", 1);
      transaction(true, List.of(message("tpl-8", 8, 1, "c"), message("tpl-7", 7, 3, "d")));
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> collector.seqsOf(8).size() == 1);
      assertThat(collector.seqsOf(8)).containsExactly(1L);
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> collector.seqsOf(7).size() == 3);
      assertThat(collector.seqsOf(7)).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  @DisplayName("a record that is not a valid value (not JSON, no seq, no room) is skipped and counted, the rest delivered")
  void badRecords() throws Exception {
    createTopic("bad", 1);
    createTopic("bad-events", 1);
    Collector collector = new Collector();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CommittedFeed feed = new CommittedFeed(kafka.bootstrapServers(), topics("bad", "bad-events"), 10, Map.of(),
        registry, collector)) {
      feed.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
      transaction(true, List.of(
          new ProducerRecord<>("bad", "5", "{not json".getBytes(StandardCharsets.UTF_8)),
          new ProducerRecord<>("bad", "5", "{\"text\":\"no seq\"}".getBytes(StandardCharsets.UTF_8)),
          new ProducerRecord<>("bad", null, "{\"seq\":1}".getBytes(StandardCharsets.UTF_8)),
          new ProducerRecord<>("bad", "5", (byte[]) null),
          message("bad", 5, 1, "good")));
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> collector.seqsOf(5).size() == 1);
      assertThat(collector.textsOf(5)).containsExactly("good");
      assertThat(registry.get("danmaku.ws.feed.bad.records").counter().count()).isEqualTo(4.0);
    }
  }
}
