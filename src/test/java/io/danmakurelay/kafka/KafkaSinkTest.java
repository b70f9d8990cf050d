package io.danmakurelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSinkTest {

  @Test
  @DisplayName("while the broker is down the sink buffers and reports it; when it returns every message "
      + "arrives once, in order")
  void survivesBrokerOutage(@TempDir Path dir) throws Exception {
    outage(dir, false);
  }

  @Test
  @DisplayName("a cluster partition's sink (initialised once, so it can never fence the partition's next owner) "
      + "rides out an outage too: its aborts time out and are retried with the same producer, nothing is dropped")
  void partitionSinkSurvivesBrokerOutage(@TempDir Path dir) throws Exception {
    outage(dir, true);
  }

  @Test
  @DisplayName("batches of one room that share a transaction write the room's state once, the last one (seq "
      + "included), and every message; another room's batches in the same transaction keep their own last state")
  void oneStateRecordPerStreamPerTransaction(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
    AtomicInteger committed = new AtomicInteger();
    AtomicInteger transactions = new AtomicInteger();
    RelayConfig.Kafka topics = ConfigLoader.load(null, Map.of(),
        List.of("kafka.topic=once-topic", "kafka.stateTopic=once-state")).kafka();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    KafkaSink sink = new KafkaSink(kafka.bootstrapServers(), "once-test", Map.of(), 10_000, new RecordFormat(topics),
        registry, batch -> committed.addAndGet(batch.messages()));
    Pipeline pipeline = new Pipeline(sink);
    try {
      // Queued before the sender starts, so its first transaction takes all of them.
      for (int i = 0; i < 6; i++) {
        pipeline.publish(batch(7, i));
        pipeline.publish(batch(8, i));
      }
      sink.start();
      await("12 messages committed", () -> committed.get() == 12);
      assertThat(registry.get("danmaku.kafka.transactions").counter().count()).isEqualTo(1);

      List<ConsumerRecord<String, byte[]>> state = readAll(kafka, "once-state", 2);
      assertThat(state).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("dedupe/7", "dedupe/8");
      for (ConsumerRecord<String, byte[]> r : state) {
        assertThat(new JsonObject(new String(r.value(), StandardCharsets.UTF_8)))
            .isEqualTo(new JsonObject().put("state", 5).put("seq", 6));
      }
      List<ConsumerRecord<String, byte[]>> messages = readAll(kafka, "once-topic", 12);
      assertThat(messages).filteredOn(r -> r.key().equals("7"))
          .extracting(r -> new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getLong("seq"))
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    } finally {
      sink.close(Duration.ofSeconds(10));
      kafka.close();
    }
  }

  @Test
  @DisplayName("a batch's records end with its state record unless the sink leaves it out")
  void stateRecordOnlyWhenAsked() {
    RelayConfig.Kafka topics = ConfigLoader.load(null, Map.of(), List.of("kafka.stateTopic=st")).kafka();
    RecordFormat format = new RecordFormat(topics);
    io.danmakurelay.pipeline.SequencedBatch sequenced =
        new io.danmakurelay.pipeline.SequencedBatch(batch(7, 1), 1, new JsonObject().put("state", 1).put("seq", 1));
    assertThat(format.records(sequenced)).extracting(r -> r.topic()).endsWith("st").hasSize(2);
    assertThat(format.records(sequenced, false)).extracting(r -> r.topic()).doesNotContain("st").hasSize(1);
    assertThat(format.records(sequenced, false).get(0).value()).isEqualTo(format.records(sequenced).get(0).value());
  }

  private static List<ConsumerRecord<String, byte[]>> readAll(EmbeddedKafka kafka, String topic, int expected) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.GROUP_ID_CONFIG, "verify-" + topic,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (records.size() < expected && System.currentTimeMillis() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      // Anything beyond what is expected (a state written twice) would arrive with the rest of the transaction.
      consumer.poll(Duration.ofMillis(500)).forEach(records::add);
    }
    return records;
  }

  private static SourceBatch batch(long room, int i) {
    return new SourceBatch(StreamKey.room(room), "ajax-msg",
        List.of(new SourceItem(new JsonObject().put("room_id", room).put("text", "m" + i), System.currentTimeMillis())),
        new JsonObject().put("state", i));
  }

  private static void outage(Path dir, boolean partitionSink) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
    int port = kafka.port();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicInteger committed = new AtomicInteger();
    RelayConfig.Kafka topics = ConfigLoader.load(null, Map.of(),
        List.of("kafka.topic=sink-topic", "kafka.stateTopic=sink-state")).kafka();
    // The partition sink's outage lasts past the records' delivery timeout, so its transaction fails for good and
    // must be aborted while the broker is still away (the abort times out, too).
    Map<String, String> producer = partitionSink
        ? Map.of("delivery.timeout.ms", "3000", "request.timeout.ms", "2000", "max.block.ms", "3000") : Map.of();
    KafkaSink sink = new KafkaSink(kafka.bootstrapServers(), "sink-test", producer, 10_000, new RecordFormat(topics),
        registry, batch -> committed.addAndGet(batch.messages()));
    AtomicInteger fenced = new AtomicInteger();
    if (partitionSink) {
      sink.onFenced(fenced::incrementAndGet);
    }
    Pipeline pipeline = new Pipeline(sink);
    sink.start();
    try {
      for (int i = 0; i < 50; i++) {
        pipeline.publish(batch(i));
      }
      await("first 50 committed", () -> committed.get() == 50);
      assertThat(sink.healthy()).isTrue();
      assertThat(sink.bufferedMessages()).isZero();

      kafka.close();
      for (int i = 50; i < 100; i++) {
        pipeline.publish(batch(i));
      }
      await("outage noticed", () -> !sink.healthy());
      assertThat(sink.bufferedMessages()).isEqualTo(50);
      assertThat(registry.get("danmaku.kafka.buffered.messages").gauge().value()).isEqualTo(50);
      assertThat(sink.lastError()).isNotBlank();
      if (partitionSink) {
        await("the delivery timeout passed and an abort was tried while the broker is down",
            () -> registry.get("danmaku.kafka.errors").counter().count() >= 4);
      }

      kafka = EmbeddedKafka.start(dir, port);
      await("all 100 committed after the broker returned", () -> committed.get() == 100);
      assertThat(sink.bufferedMessages()).isZero();
      await("healthy again", sink::healthy);

      List<JsonObject> values = new ArrayList<>();
      try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
          ConsumerConfig.GROUP_ID_CONFIG, "verify",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
        consumer.subscribe(List.of("sink-topic"));
        long deadline = System.currentTimeMillis() + 30_000;
        while (values.size() < 100 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            values.add(new JsonObject(new String(r.value(), StandardCharsets.UTF_8)));
          }
        }
        consumer.poll(Duration.ofSeconds(1)).forEach(r ->
            values.add(new JsonObject(new String(r.value(), StandardCharsets.UTF_8))));
      }
      assertThat(values).extracting(v -> v.getString("text")).containsExactlyElementsOf(
          IntStream.range(0, 100).mapToObj(i -> "m" + i).toList());
      assertThat(values).extracting(v -> v.getLong("seq")).containsExactlyElementsOf(
          LongStream.rangeClosed(1, 100).boxed().toList());
      assertThat(fenced.get()).as("times the sink gave up as fenced").isZero();
    } finally {
      sink.close(Duration.ofSeconds(10));
      kafka.close();
    }
  }

  private static SourceBatch batch(int i) {
    return new SourceBatch(StreamKey.room(7), "ajax-msg",
        List.of(new SourceItem(new JsonObject().put("room_id", 7).put("text", "m" + i), System.currentTimeMillis())),
        new JsonObject().put("state", i));
  }

  private static void await(String what, Callable<Boolean> condition) {
    Awaitility.await(what).atMost(Duration.ofSeconds(60)).until(condition);
  }
}
