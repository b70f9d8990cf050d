package io.danmakurelay.kafka;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tails the compacted state topic for the entries of some key prefixes (the cluster's room list: what any relay
 * added or removed at run time) and tells a {@link Listener} each change, in Kafka's order. A
 * {@code read_committed} consumer on its own thread, assign and seek, no consumer group (like
 * {@link CommittedFeed}): every relay reads the whole list and commits nothing.
 *
 * <p>Start: the topic is read from its beginning to the end offsets taken then, and only what differs from
 * the {@code baseline} (the {@link RelayState} the relay started from) is told, once per key with its latest
 * value; so the records written between the start-up read and this one are not lost, and the rooms the relay
 * already follows are not added again. {@link #start()} completes after that; every later record is told as it
 * comes, the relay's own writes included (the listener knows which are its own).
 */
public final class StateFeed implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StateFeed.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final long RETRY_MS = 2_000;

  /** Told each change of a watched key, on the feed's thread: {@code value} null means the key was removed. */
  @FunctionalInterface
  public interface Listener {
    void onChange(String key, JsonObject value);
  }

  private final Map<String, Object> consumerConfig;
  private final String topic;
  private final List<String> prefixes;
  private final Map<String, JsonObject> baseline;
  private final Listener listener;
  private final Duration timeout;
  private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  private final Thread thread;
  private volatile boolean closing;
  private volatile KafkaConsumer<String, byte[]> consumer;

  /**
   * @param stateTopic {@code kafka.stateTopic}
   * @param prefixes   the key prefixes to follow ({@code room/}, ...); other keys are skipped
   * @param baseline   the state entries the relay already applied (from {@link RelayState#entries()})
   * @param timeout    how long the catch-up read may take before {@link #start()} fails
   */
  public StateFeed(String bootstrapServers, String stateTopic, List<String> prefixes, Map<String, JsonObject> baseline,
      Duration timeout, Listener listener) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "danmaku-relay-state-" + ProcessHandle.current().pid());
    this.consumerConfig = Map.copyOf(config);
    this.topic = stateTopic;
    this.prefixes = List.copyOf(prefixes);
    Map<String, JsonObject> watched = new LinkedHashMap<>();
    baseline.forEach((key, value) -> {
      if (watches(key)) {
        watched.put(key, value);
      }
    });
    this.baseline = watched;
    this.timeout = timeout;
    this.listener = listener;
    this.thread = new Thread(this::run, "state-feed");
    this.thread.setDaemon(true);
  }

  /** Starts the thread; completes once the catch-up was told (or fails with why it could not be read). */
  public CompletionStage<Void> start() {
    thread.start();
    return caughtUp;
  }

  private boolean watches(String key) {
    if (key == null) {
      return false;
    }
    for (String prefix : prefixes) {
      if (key.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      consumer = c;
      if (closing) {
        return;
      }
      catchUp(c);
      while (!closing) {
        try {
          for (ConsumerRecord<String, byte[]> record : c.poll(POLL)) {
            JsonObject value = parse(record);
            if (watches(record.key()) && (value != null || record.value() == null)) {
              tell(record.key(), value);
            }
          }
        } catch (WakeupException e) {
          return;
        } catch (KafkaException e) {
          // The consumer reconnects by itself; a failing poll is retried after a pause, never spun on.
          log.warn("reading state topic {} failed, retrying in {} ms: {}", topic, RETRY_MS, e.toString());
          pause();
        }
      }
    } catch (WakeupException e) {
      caughtUp.completeExceptionally(new IllegalStateException("the state feed was closed while catching up"));
    } catch (RuntimeException e) {
      log.warn("state feed of {} stopped: {}", topic, e.toString());
      caughtUp.completeExceptionally(e);
    }
  }

  private void catchUp(KafkaConsumer<String, byte[]> c) {
    List<TopicPartition> partitions = c.partitionsFor(topic, timeout).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    c.assign(partitions);
    c.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = c.endOffsets(partitions, timeout);
    Map<String, JsonObject> latest = new LinkedHashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!reached(c, end)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("reading state topic " + topic + " did not finish within "
            + timeout.toSeconds() + " s");
      }
      for (ConsumerRecord<String, byte[]> record : c.poll(POLL)) {
        JsonObject value = parse(record);
        if (watches(record.key()) && (value != null || record.value() == null)) {
          latest.remove(record.key());
          if (value != null) {
            latest.put(record.key(), value);
          }
        }
      }
    }
    Set<String> keys = new HashSet<>(baseline.keySet());
    keys.addAll(latest.keySet());
    int told = 0;
    // Removals first, then additions in write order: a room removed and added again ends followed.
    for (String key : keys) {
      if (!latest.containsKey(key)) {
        tell(key, null);
        told++;
      }
    }
    for (Map.Entry<String, JsonObject> e : latest.entrySet()) {
      if (!Objects.equals(baseline.get(e.getKey()), e.getValue())) {
        tell(e.getKey(), e.getValue());
        told++;
      }
    }
    log.info("state feed of {} caught up: {} entries, {} changed since start-up", topic, latest.size(), told);
    caughtUp.complete(null);
  }

  private void tell(String key, JsonObject value) {
    try {
      listener.onChange(key, value);
    } catch (RuntimeException e) {
      log.warn("applying state entry {} failed: {}", key, e.toString());
    }
  }

  private static boolean reached(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** The record's value, or null for a tombstone and for an unreadable value (which is skipped, not a removal). */
  private static JsonObject parse(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return null;
    }
    try {
      return new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      log.warn("ignoring an unreadable state record {}: {}", record.key(), e.getMessage());
      return null;
    }
  }

  private void pause() {
    try {
      Thread.sleep(RETRY_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true;
    }
  }

  @Override
  public void close() {
    closing = true;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
