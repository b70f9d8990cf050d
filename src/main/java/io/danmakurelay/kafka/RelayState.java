package io.danmakurelay.kafka;

import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.pipeline.StateKeys;
import io.danmakurelay.pipeline.StreamKey;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
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
 * The relay's state as kept in its compacted Kafka topic: each stream's state (dedupe and seq), the rooms
 * followed at run time, and whatever else a stage keeps there under its own key prefix. Read once at
 * start-up (blocking: call it off the event loop).
 *
 * @param entries every live key of the state topic to its latest value, in the order the keys were
 *                last written (a tombstone removes the key)
 */
public record RelayState(Map<String, JsonObject> entries) {

  public RelayState {
    entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  public static RelayState empty() {
    return new RelayState(Map.of());
  }

  /** The state of one stream, or null. */
  public JsonObject stream(StreamKey stream) {
    return entries.get(stream.stateKey());
  }

  /** Every stream's state. */
  public Map<StreamKey, JsonObject> streams() {
    Map<StreamKey, JsonObject> out = new LinkedHashMap<>();
    entries.forEach((key, value) -> {
      StreamKey stream = StreamKey.ofStateKey(key);
      if (stream != null) {
        out.put(stream, value);
      }
    });
    return out;
  }

  /** The entries whose key starts with {@code prefix} and ends in a positive id: id to value, in write order. */
  public Map<Long, JsonObject> byId(String prefix) {
    Map<Long, JsonObject> out = new LinkedHashMap<>();
    entries.forEach((key, value) -> {
      long id = StateKeys.idAfter(key, prefix);
      if (id > 0) {
        out.put(id, value);
      }
    });
    return out;
  }

  /** Rooms added at run time (requested id to entry), in the order they were added. */
  public Map<Long, JsonObject> followed() {
    return byId(StateKeys.FOLLOWED_ROOM);
  }

  private static final Logger log = LoggerFactory.getLogger(RelayState.class);

  /**
   * Creates the topics the relay writes when they are missing: the state and video metadata topics
   * (compacted), the events and video topics, and the danmaku topic when it has no {room} template.
   */
  public static void ensureTopics(String bootstrapServers, RelayConfig.Kafka kafka, Duration timeout) {
    ensureTopics(bootstrapServers, kafka, null, timeout);
  }

  /** The partitions of a topic just created: its metadata may take a moment to reach the broker that answers. */
  private static int partitionCount(Admin admin, String topic, Duration timeout)
      throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .get(topic).partitions().size();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** The topic whose partitions the relays of a cluster share: {@code <kafka.stateTopic>-cluster}. */
  public static String coordinationTopic(RelayConfig.Kafka kafka) {
    return kafka.stateTopic() + "-cluster";
  }

  /** As {@link #ensureTopics(String, RelayConfig.Kafka, Duration)}, plus the cluster's coordination topic. */
  public static void ensureTopics(String bootstrapServers, RelayConfig.Kafka kafka, RelayConfig.Cluster cluster,
      Duration timeout) {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
      List<NewTopic> topics = new ArrayList<>();
      Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
      topics.add(new NewTopic(kafka.stateTopic(), Optional.of(1), Optional.empty()).configs(compacted));
      topics.add(new NewTopic(kafka.videoMetaTopic(), Optional.empty(), Optional.empty()).configs(compacted));
      topics.add(new NewTopic(kafka.eventsTopic(), Optional.empty(), Optional.empty()));
      topics.add(new NewTopic(kafka.videoTopic(), Optional.empty(), Optional.empty()));
      if (!kafka.topic().contains("{room}")) {
        topics.add(new NewTopic(kafka.topic(), Optional.empty(), Optional.empty()));
      }
      if (cluster != null && cluster.enabled()) {
        // Nothing is written to it: its partitions are what the group coordinator assigns to the relays.
        topics.add(new NewTopic(coordinationTopic(kafka), Optional.of(cluster.partitions()), Optional.empty()));
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
      if (cluster != null && cluster.enabled()) {
        String name = coordinationTopic(kafka);
        int existing = partitionCount(admin, name, timeout);
        if (existing != cluster.partitions()) {
          throw new IllegalStateException("cluster.partitions is " + cluster.partitions() + " but the cluster's topic "
              + name + " has " + existing + " partitions: every relay of a cluster needs the same value");
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot describe the cluster's topic: " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating Kafka topics", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within " + timeout.toSeconds() + " s");
    }
  }

  /** Reads the whole state topic (committed records only) up to its current end. */
  public static RelayState load(String bootstrapServers, String stateTopic, Duration timeout) {
    return load(bootstrapServers, stateTopic, timeout, false);
  }

  /**
   * Reads the whole state topic (committed records only). With {@code toHighWatermark} (cluster mode: several
   * producers write the topic) it reads on until it passed the topic's high watermark as it stands now, not
   * only its last stable offset: a transaction another relay still has open would otherwise hide the records
   * committed after it, among them the last state a partition's previous owner committed.
   */
  public static RelayState load(String bootstrapServers, String stateTopic, Duration timeout, boolean toHighWatermark) {
    Map<String, JsonObject> entries = new LinkedHashMap<>();
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
      Map<TopicPartition, Long> end = toHighWatermark
          ? highWatermarks(bootstrapServers, partitions, timeout) : consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading state topic " + stateTopic + " did not finish within "
              + timeout.toSeconds() + " s");
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          apply(record, entries);
        }
      }
    }
    RelayState state = new RelayState(entries);
    log.info("restored the state of {} streams and {} rooms followed at run time from {}", state.streams().size(),
        state.followed().size(), stateTopic);
    return state;
  }

  private static Map<TopicPartition, Long> highWatermarks(String bootstrapServers, List<TopicPartition> partitions,
      Duration timeout) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
      Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new LinkedHashMap<>();
      partitions.forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
      Map<TopicPartition, Long> out = new LinkedHashMap<>();
      admin.listOffsets(latest, new org.apache.kafka.clients.admin.ListOffsetsOptions(
              org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED))
          .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot read the end of the state topic: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the end of the state topic", e);
    }
  }

  private static boolean reached(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static void apply(ConsumerRecord<String, byte[]> record, Map<String, JsonObject> entries) {
    if (record.key() == null) {
      return;
    }
    JsonObject value = parse(record.value());
    // Remove first, so a key written again moves to the end: the order is the order of the last writes.
    entries.remove(record.key());
    if (value != null) {
      entries.put(record.key(), value);
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
