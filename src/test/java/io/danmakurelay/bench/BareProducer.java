package io.danmakurelay.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The ceiling for the pipeline benchmark: reads records the relay published, then sends the same records
 * with a bare idempotent producer ({@code acks=all}) as fast as it can, and prints its rate and CPU cost.
 * Run in its own JVM so its CPU time is its own. Args: bootstrap sourceTopic targetTopic maxRecords.
 */
public final class BareProducer {

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    int max = Integer.parseInt(args[3]);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "bench-bare-" + System.nanoTime(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(args[1]));
      long deadline = System.currentTimeMillis() + 60_000;
      int empty = 0;
      while (records.size() < max && System.currentTimeMillis() < deadline && empty < 10) {
        var batch = consumer.poll(Duration.ofMillis(500));
        empty = batch.isEmpty() ? empty + 1 : 0;
        batch.forEach(records::add);
      }
    }
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer())) {
      for (ConsumerRecord<String, byte[]> r : records) {
        producer.send(new ProducerRecord<>(args[2], null, r.key(), r.value(), r.headers()));
      }
      producer.flush();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    System.out.printf("{\"records\":%d,\"seconds\":%.3f,\"per_second\":%.1f,\"cpu_seconds\":%.3f}%n",
        records.size(), seconds, records.size() / seconds, cpu);
  }
}
