package io.danmakurelay.kafka;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's state as kept in its compacted Kafka topic: the dedupe state of each room and the rooms
 * followed at run time. Read once at start-up (blocking: call it off the event loop).
 *
 * @param dedupe   room id to its last dedupe snapshot
 * @param followed rooms added at run time (requested id to entry), in the order they were added
 */
public record RelayState(Map<Long, JsonObject> dedupe, Map<Long, JsonObject> followed) {

  private static final Logger log = LoggerFactory.getLogger(RelayState.class);

  /** Creates the state topic (compacted) and, when it has no {room} template, the data topic. */
  public static void ensureTopics(String bootstrapServers, String stateTopic, String dataTopic, Duration timeout) {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
      List<NewTopic> topics = new ArrayList<>();
      topics.add(new NewTopic(stateTopic, Optional.of(1), Optional.empty())
          .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
      if (!dataTopic.contains("{room}")) {
        topics.add(new NewTopic(dataTopic, Optional.empty(), Optional.empty()));
      }
      for (NewTopic topic : topics) {
        try {
          admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          log.info("created Kafka topic {}", topic.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create Kafka topic " + topic.name() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating Kafka topics", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within " + timeout.toSeconds() + " s");
    }
  }

  /** Reads the whole state topic (committed records only) up to its current end. */
  public static RelayState load(String bootstrapServers, String stateTopic, Duration timeout) {
    Map<Long, JsonObject> dedupe = new HashMap<>();
    Map<Long, JsonObject> followed = new LinkedHashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(stateTopic, timeout).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading state topic " + stateTopic + " did not finish within "
              + timeout.toSeconds() + " s");
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          apply(record, dedupe, followed);
        }
      }
    }
    log.info("restored state of {} rooms and {} rooms followed at run time from {}", dedupe.size(), followed.size(),
        stateTopic);
    return new RelayState(dedupe, followed);
  }

  private static boolean reached(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static void apply(ConsumerRecord<String, byte[]> record, Map<Long, JsonObject> dedupe,
      Map<Long, JsonObject> followed) {
    long dedupeRoom = DanmakuRecords.dedupeRoom(record.key());
    long followedRoom = DanmakuRecords.followedRoom(record.key());
    JsonObject value = parse(record.value());
    if (dedupeRoom > 0) {
      if (value == null) {
        dedupe.remove(dedupeRoom);
      } else {
        dedupe.put(dedupeRoom, value);
      }
    } else if (followedRoom > 0) {
      followed.remove(followedRoom);
      if (value != null) {
        followed.put(followedRoom, value);
      }
    }
  }

  private static JsonObject parse(byte[] value) {
    if (value == null) {
      return null;
    }
    try {
      return new JsonObject(new String(value, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      log.warn("ignoring an unreadable state record: {}", e.getMessage());
      return null;
    }
  }
}
