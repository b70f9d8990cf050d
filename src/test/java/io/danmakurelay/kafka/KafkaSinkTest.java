package io.danmakurelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSinkTest {

  @Test
  @DisplayName("while the broker is down the sink buffers and reports it; when it returns every message "
      + "arrives once, in order")
  void survivesBrokerOutage(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
    int port = kafka.port();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicInteger committed = new AtomicInteger();
    KafkaSink sink = new KafkaSink(kafka.bootstrapServers(), "sink-test", Map.of(), 10_000, registry,
        batch -> committed.addAndGet(batch.messages()));
    sink.start();
    try {
      for (int i = 0; i < 50; i++) {
        sink.submit(batch(i));
      }
      await("first 50 committed", () -> committed.get() == 50);
      assertThat(sink.healthy()).isTrue();
      assertThat(sink.bufferedMessages()).isZero();

      kafka.close();
      for (int i = 50; i < 100; i++) {
        sink.submit(batch(i));
      }
      await("outage noticed", () -> !sink.healthy());
      assertThat(sink.bufferedMessages()).isEqualTo(50);
      assertThat(registry.get("danmaku.kafka.buffered.messages").gauge().value()).isEqualTo(50);
      assertThat(sink.lastError()).isNotBlank();

      kafka = EmbeddedKafka.start(dir, port);
      await("all 100 committed after the broker returned", () -> committed.get() == 100);
      assertThat(sink.bufferedMessages()).isZero();
      await("healthy again", sink::healthy);

      List<String> values = new ArrayList<>();
      try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
          ConsumerConfig.GROUP_ID_CONFIG, "verify",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
        consumer.subscribe(List.of("sink-topic"));
        long deadline = System.currentTimeMillis() + 30_000;
        while (values.size() < 100 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            values.add(new String(r.value(), StandardCharsets.UTF_8));
          }
        }
        consumer.poll(Duration.ofSeconds(1)).forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
      }
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        expected.add("m" + i);
      }
      assertThat(values).containsExactlyElementsOf(expected);
    } finally {
      sink.close(Duration.ofSeconds(10));
      kafka.close();
    }
  }

  private static PublishBatch batch(int i) {
    return new PublishBatch(7, List.of(
        new ProducerRecord<>("sink-topic", "7", ("m" + i).getBytes(StandardCharsets.UTF_8)),
        new ProducerRecord<>("sink-state", "dedupe/7", ("s" + i).getBytes(StandardCharsets.UTF_8))),
        new long[] {System.currentTimeMillis()});
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        StringBuilder stacks = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, frames) -> {
          if (t.getName().equals("kafka-sink")) {
            for (StackTraceElement f : frames) {
              stacks.append("\n  at ").append(f);
            }
          }
        });
        throw new AssertionError("timed out waiting for: " + what + stacks);
      }
      Thread.sleep(50);
    }
  }
}
