package io.danmakurelay.kafka;

import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.pipeline.CommittedRecord;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.StreamKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the WebSocket fan-out with what Kafka committed: a {@code read_committed} consumer on its own
 * thread reads {@code kafka.topic} (every topic of the {@code {room}} template, looked up again every few
 * seconds) and {@code kafka.eventsTopic}, and hands each poll's records, in Kafka's order, to a
 * {@link Receiver} as one batch. It uses assign and seek, never a consumer group, so any number of relays
 * can read the same topics and nothing is committed.
 *
 * <p>Start: each room's history ({@code ws.historySize} messages) is refilled from the topic's tail before
 * the live end is followed, and {@link #start()} completes only once the refill reached the receiver.
 * Kafka keeps no per-key index, so the tail of one room cannot be sought directly: a partition mixes
 * rooms, and offsets count transaction markers and aborted records, so "end minus N" holds fewer than N
 * messages of any one room. The feed therefore reads each partition backwards in windows that double in
 * size, from the end offsets (the last stable offsets) taken at start, keeping at most N messages per
 * room, and stops once every room seen in the partition has N messages or its seq 1, and every room whose
 * state record names a seq was found somewhere (a quiet room may lie far back); at worst it reads to
 * the partition's beginning. Memory stays at N per room whatever the topic holds. The live phase then
 * starts exactly at those end offsets: nothing is skipped and nothing read twice (the fan-out also skips a
 * seq it already holds). The events topic has no history (events carry no seq): it is followed from its end.
 */
public final class CommittedFeed implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CommittedFeed.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final long TOPIC_REFRESH_MS = 5_000;
  private static final int FIRST_WINDOW = 1_000;
  private static final int MAX_WINDOW = 256_000;
  private static final int REFILL_BATCH = 1_000;
  /** Batches handed over but not yet applied: bounds what waits for a busy fan-out. */
  private static final int IN_FLIGHT = 4;
  private static final long WINDOW_TIMEOUT_MS = 60_000;

  /** Takes a batch of committed records; the stage completes once they were applied. */
  @FunctionalInterface
  public interface Receiver {
    CompletionStage<?> accept(List<CommittedRecord> batch);
  }

  private final Map<String, Object> consumerConfig;
  private final RelayConfig.Kafka topics;
  private final Pattern roomTopics;
  private final int perRoom;
  private final Map<Long, Long> expectedLastSeq;
  private final Receiver receiver;
  private final CompletableFuture<Void> refilled = new CompletableFuture<>();
  private final Semaphore inFlight = new Semaphore(IN_FLIGHT);
  private final Thread thread;
  private final Counter recordsRead;
  private final Counter badRecords;
  private volatile boolean closing;
  /** Set by the feed thread once created; read by close() to wake it. */
  private volatile KafkaConsumer<String, byte[]> consumer;
  private long badLogged;

  /**
   * @param bootstrapServers the cluster
   * @param topics           {@code kafka.topic} and {@code kafka.eventsTopic}
   * @param historySize      messages per room the refill gathers ({@code ws.historySize})
   * @param expectedLastSeq  each room's last committed seq as its state record says (see {@link #lastSeqs})
   * @param receiver         the fan-out
   */
  public CommittedFeed(String bootstrapServers, RelayConfig.Kafka topics, int historySize,
      Map<Long, Long> expectedLastSeq, MeterRegistry registry, Receiver receiver) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // Records the retention deleted under our position: continue from what is left (the fan-out notes the jump).
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "danmaku-relay-fanout-" + ProcessHandle.current().pid());
    this.consumerConfig = Map.copyOf(config);
    this.topics = topics;
    String template = topics.topic();
    int slot = template.indexOf("{room}");
    this.roomTopics = slot < 0 ? null : Pattern.compile(Pattern.quote(template.substring(0, slot)) + "[0-9]{1,18}"
        + Pattern.quote(template.substring(slot + "{room}".length())));
    this.perRoom = Math.max(1, historySize);
    this.expectedLastSeq = Map.copyOf(expectedLastSeq);
    this.receiver = receiver;
    this.recordsRead = Counter.builder("danmaku.ws.feed.records")
        .description("Committed records the fan-out's Kafka consumer read (refill included)").register(registry);
    this.badRecords = Counter.builder("danmaku.ws.feed.bad.records")
        .description("Records of the danmaku or events topic that are not valid SPEC 4 values, skipped").register(registry);
    this.thread = new Thread(this::run, "fanout-feed");
    this.thread.setDaemon(true);
  }

  /** Every room's last seq from the state restored at start-up. */
  public static Map<Long, Long> lastSeqs(RelayState state) {
    Map<Long, Long> out = new HashMap<>();
    state.streams().forEach((stream, value) -> {
      if (stream.kind() == StreamKey.Kind.ROOM && value.getValue(Pipeline.SEQ_FIELD) instanceof Number seq
          && seq.longValue() > 0) {
        out.put(stream.id(), seq.longValue());
      }
    });
    return out;
  }

  /** Starts the thread; the stage completes once every room's history was refilled and handed over. */
  public CompletionStage<Void> start() {
    thread.start();
    return refilled;
  }

  /** Stops reading (blocking for at most a few seconds: call it off the event loop). */
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

  private void run() {
    try (KafkaConsumer<String, byte[]> created =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = created;
      if (closing) {
        return;
      }
      Map<TopicPartition, Long> start = refill();
      refilled.complete(null);
      follow(start);
    } catch (WakeupException | InterruptedException e) {
      refilled.completeExceptionally(new IllegalStateException("fan-out feed closed during its start"));
    } catch (RuntimeException e) {
      refilled.completeExceptionally(e);
      if (!closing) {
        log.error("fan-out feed from Kafka stopped: {}", e.toString());
      }
    }
  }

  // ---- refill ----

  /** Reads every room's tail, hands it over, and returns where the live phase starts. */
  private Map<TopicPartition, Long> refill() throws InterruptedException {
    List<TopicPartition> danmaku = partitions(danmakuTopics());
    List<TopicPartition> events = partitions(List.of(topics.eventsTopic()));
    List<TopicPartition> all = new ArrayList<>(danmaku);
    all.addAll(events);
    Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(all));
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(danmaku);

    Map<Long, RoomTail> tails = new HashMap<>();
    Set<Long> missing = new HashSet<>(expectedLastSeq.keySet());
    Map<TopicPartition, Backwards> reading = new LinkedHashMap<>();
    for (TopicPartition p : danmaku) {
      reading.put(p, new Backwards(begin.getOrDefault(p, 0L), end.getOrDefault(p, 0L)));
    }
    // Round robin, one window per partition per round: a room missing from one is looked for in all.
    while (!reading.isEmpty()) {
      for (var it = reading.entrySet().iterator(); it.hasNext(); ) {
        var entry = it.next();
        TopicPartition p = entry.getKey();
        Backwards b = entry.getValue();
        if (b.lo > b.begin) {
          readWindow(p, b, tails, missing);
        }
        if (b.lo <= b.begin || (missing.isEmpty() && b.rooms.stream().allMatch(r -> tails.get(r).satisfied()))) {
          it.remove();
        }
      }
    }
    int messages = 0;
    for (RoomTail tail : tails.values()) {
      messages += tail.kept.size();
    }
    List<CommittedRecord> batch = new ArrayList<>(REFILL_BATCH);
    for (RoomTail tail : tails.values()) {
      for (CommittedRecord record : tail.kept) {
        batch.add(record);
        if (batch.size() == REFILL_BATCH) {
          handOverAndWait(batch);
          batch = new ArrayList<>(REFILL_BATCH);
        }
      }
    }
    if (!batch.isEmpty()) {
      handOverAndWait(batch);
    }
    if (!missing.isEmpty()) {
      log.info("fan-out refill: {} rooms have a seq in their state but no message left in Kafka", missing.size());
    }
    log.info("fan-out refill: {} messages of {} rooms from {} partitions; following the live end", messages,
        tails.size(), danmaku.size());
    Map<TopicPartition, Long> live = new HashMap<>();
    for (TopicPartition p : all) {
      live.put(p, end.getOrDefault(p, 0L));
    }
    return live;
  }

  /** Reads [lo - window, lo) of one partition and keeps, per room, the newest messages still needed. */
  private void readWindow(TopicPartition p, Backwards b, Map<Long, RoomTail> tails, Set<Long> missing) {
    long hi = b.lo;
    long lo = Math.max(b.begin, hi - b.window);
    b.window = Math.min(MAX_WINDOW, b.window * 2);
    consumer.assign(List.of(p));
    consumer.seek(p, lo);
    List<CommittedRecord> window = new ArrayList<>();
    long deadline = System.currentTimeMillis() + WINDOW_TIMEOUT_MS;
    while (consumer.position(p) < hi) {
      if (closing) {
        throw new WakeupException();
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("fan-out refill: reading " + p + " offsets " + lo + ".." + hi
            + " did not finish within " + WINDOW_TIMEOUT_MS / 1000 + " s");
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
        if (r.offset() < hi) {
          CommittedRecord parsed = parse(r, CommittedRecord.Kind.DANMAKU);
          if (parsed != null) {
            window.add(parsed);
          }
        }
      }
    }
    b.lo = lo;
    // Newest first, so each room keeps its newest messages; prepending keeps the kept ones in seq order.
    for (int i = window.size() - 1; i >= 0; i--) {
      CommittedRecord record = window.get(i);
      RoomTail tail = tails.computeIfAbsent(record.roomId(), id -> new RoomTail());
      b.rooms.add(record.roomId());
      missing.remove(record.roomId());
      if (!tail.satisfied()) {
        tail.kept.addFirst(record);
      }
    }
  }

  private final class RoomTail {
    final ArrayDeque<CommittedRecord> kept = new ArrayDeque<>();

    boolean satisfied() {
      return kept.size() >= perRoom || (!kept.isEmpty() && kept.peekFirst().seq() <= 1);
    }
  }

  private static final class Backwards {
    final long begin;
    long lo;
    long window = FIRST_WINDOW;
    final Set<Long> rooms = new LinkedHashSet<>();

    Backwards(long begin, long end) {
      this.begin = begin;
      this.lo = end;
    }
  }

  // ---- live ----

  private void follow(Map<TopicPartition, Long> start) throws InterruptedException {
    Set<TopicPartition> assigned = new LinkedHashSet<>(start.keySet());
    consumer.assign(assigned);
    start.forEach(consumer::seek);
    long nextRefresh = System.currentTimeMillis() + TOPIC_REFRESH_MS;
    while (!closing) {
      try {
        if (roomTopics != null && System.currentTimeMillis() >= nextRefresh) {
          nextRefresh = System.currentTimeMillis() + TOPIC_REFRESH_MS;
          List<TopicPartition> added = new ArrayList<>();
          for (TopicPartition p : partitions(danmakuTopics())) {
            if (assigned.add(p)) {
              added.add(p);
            }
          }
          if (!added.isEmpty()) {
            // A room's topic created after the start: everything in it is new.
            consumer.assign(assigned);
            consumer.seekToBeginning(added);
            log.info("fan-out feed: following {} new room topic partitions", added.size());
          }
        }
        ConsumerRecords<String, byte[]> polled = consumer.poll(POLL);
        if (polled.isEmpty()) {
          continue;
        }
        List<CommittedRecord> batch = new ArrayList<>(polled.count());
        for (ConsumerRecord<String, byte[]> r : polled) {
          CommittedRecord parsed = parse(r, r.topic().equals(topics.eventsTopic())
              ? CommittedRecord.Kind.EVENT : CommittedRecord.Kind.DANMAKU);
          if (parsed != null) {
            batch.add(parsed);
          }
        }
        if (!batch.isEmpty()) {
          handOver(batch);
        }
      } catch (WakeupException e) {
        return;
      } catch (KafkaException e) {
        log.warn("fan-out feed: reading Kafka failed, retrying in 1 s: {}", e.toString());
        Thread.sleep(1_000);
      }
    }
  }

  /** One hop per poll; blocks while {@link #IN_FLIGHT} batches wait for the fan-out. */
  private void handOver(List<CommittedRecord> batch) throws InterruptedException {
    while (!inFlight.tryAcquire(200, TimeUnit.MILLISECONDS)) {
      if (closing) {
        throw new InterruptedException();
      }
    }
    receiver.accept(batch).whenComplete((ok, e) -> inFlight.release());
  }

  private void handOverAndWait(List<CommittedRecord> batch) throws InterruptedException {
    try {
      receiver.accept(batch).toCompletableFuture().get(WINDOW_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("fan-out refill: the fan-out did not take the history: " + e, e);
    }
  }

  // ---- topics and records ----

  private Collection<String> danmakuTopics() {
    if (roomTopics == null) {
      return List.of(topics.topic());
    }
    List<String> names = new ArrayList<>();
    for (String name : consumer.listTopics(Duration.ofSeconds(30)).keySet()) {
      if (roomTopics.matcher(name).matches()) {
        names.add(name);
      }
    }
    return names;
  }

  private List<TopicPartition> partitions(Collection<String> names) {
    List<TopicPartition> out = new ArrayList<>();
    for (String name : names) {
      List<PartitionInfo> infos = consumer.partitionsFor(name, Duration.ofSeconds(30));
      if (infos != null) {
        for (PartitionInfo info : infos) {
          out.add(new TopicPartition(info.topic(), info.partition()));
        }
      }
    }
    return out;
  }

  /** The record as the fan-out needs it, or null (counted, logged without a stack) when it is not valid. */
  CommittedRecord parse(ConsumerRecord<String, byte[]> r, CommittedRecord.Kind kind) {
    recordsRead.increment();
    String problem = null;
    long roomId = -1;
    long seq = 0;
    if (r.value() == null) {
      problem = "no value";
    } else {
      TopFields value = TopFields.read(r.value());
      if (value == null) {
        problem = "not a JSON object";
      } else {
        roomId = roomIdOf(r.key(), value);
        if (roomId <= 0) {
          problem = "no room id in the key or value";
        } else if (kind == CommittedRecord.Kind.DANMAKU) {
          if (value.seq != null && value.seq.longValue() > 0) {
            seq = value.seq.longValue();
          } else {
            problem = "no positive seq";
          }
        }
      }
    }
    if (problem != null) {
      badRecords.increment();
      // One line for the first and then one per thousand: a topic full of foreign records stays readable.
      if (badLogged++ % 1000 == 0) {
        log.warn("fan-out feed: skipping record {}-{}@{}: {} ({} skipped so far)", r.topic(), r.partition(),
            r.offset(), problem, badLogged);
      }
      return null;
    }
    return new CommittedRecord(kind, roomId, seq, r.value());
  }

  private static long roomIdOf(String key, TopFields value) {
    if (key != null && !key.isEmpty() && key.length() <= 18 && key.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Long.parseLong(key);
    }
    return value.roomId != null ? value.roomId.longValue() : -1;
  }

  /**
   * The two top-level fields the feed needs ({@code seq}, {@code room_id}) of a record value, read with a streaming
   * parser that checks the whole value is one JSON object but builds nothing of it: the fan-out writes the stored
   * bytes as they are, so building a tree of every record (its {@code raw} included) only to read one number was
   * a measurable share of the relay's CPU. A repeated field counts as its last occurrence, as in a parsed object.
   */
  private static final class TopFields {
    private static final JsonFactory JSON = new JsonFactory();

    Number seq;
    Number roomId;

    /** The fields, or null when the bytes are not exactly one JSON object. */
    static TopFields read(byte[] bytes) {
      try (JsonParser parser = JSON.createParser(bytes)) {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          return null;
        }
        TopFields fields = new TopFields();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          JsonToken token = parser.nextToken();
          boolean number = token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT;
          if (Pipeline.SEQ_FIELD.equals(name)) {
            fields.seq = number ? parser.getNumberValue() : null;
          } else if ("room_id".equals(name)) {
            fields.roomId = number ? parser.getNumberValue() : null;
          }
          parser.skipChildren();
        }
        if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
          return null;
        }
        return fields;
      } catch (IOException e) {
        return null;
      }
    }
  }
}
