package io.danmakurelay.kafka;

import io.danmakurelay.pipeline.BatchSink;
import io.danmakurelay.pipeline.BackoffPolicy;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's {@link BatchSink}: writes {@link SequencedBatch}es (records built by {@link RecordFormat}) to Kafka with a transactional, idempotent producer ({@code acks=all}) from
 * one sender thread, so that no event loop ever blocks on Kafka. While Kafka is unreachable the batches
 * wait, in order, in a buffer whose size the poller respects; they are delivered when Kafka returns.
 */
public final class KafkaSink implements BatchSink, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaSink.class);
  /** Batches gathered into one transaction: large enough to amortise the commit, small enough to stay quick. */
  private static final int MAX_BATCHES_PER_TRANSACTION = 500;
  /** Between failed transaction attempts: the relay's one backoff rule, 0.5 s doubling up to 5 s. */
  private static final BackoffPolicy RETRY_BACKOFF = new BackoffPolicy(500, 5_000);
  private static final long IDLE_PROBE_NANOS = TimeUnit.SECONDS.toNanos(3);

  private final Map<String, Object> producerConfig;
  private final int capacity;
  private final RecordFormat format;
  private final Consumer<SequencedBatch> onCommitted;
  private final LinkedBlockingQueue<SequencedBatch> queue = new LinkedBlockingQueue<>();
  private final AtomicLong bufferedMessages = new AtomicLong();
  private final AtomicLong stalledSinceMs = new AtomicLong();
  private volatile String lastError;
  private volatile boolean ready;
  private volatile boolean fatal;
  private volatile boolean closing;
  private volatile boolean abandoned;
  private volatile Runnable onFenced;
  /** In a cluster a producer is initialised once: a second initTransactions could fence the partition's new owner. */
  private volatile boolean initOnce;
  /** The last abort timed out: it is retried before the next transaction begins. Sender thread only. */
  private boolean abortPending;
  private boolean initialised;
  private volatile long closeDeadlineNanos = Long.MAX_VALUE;
  private final Thread sender;
  private Producer<String, byte[]> producer;
  private Admin admin;
  private long lastProbeNanos;

  private final Counter published;
  private final Counter transactions;
  private final Counter errors;
  private final Timer publishDelay;
  private final DistributionSummary transactionSize;

  /**
   * @param bootstrapServers the cluster
   * @param transactionalId  one per relay instance: a second producer with the same id fences the first
   * @param userProperties   {@code kafka.producer}, passed through (acks, idempotence and the transactional
   *                         id are the relay's own and cannot be overridden)
   * @param capacity         messages the buffer holds; the poller stops polling while it is full
   * @param format           turns batches into records (SPEC §4)
   * @param onCommitted      called on the sender thread for every batch once its transaction committed
   */
  public KafkaSink(String bootstrapServers, String transactionalId, Map<String, String> userProperties,
      int capacity, RecordFormat format, MeterRegistry registry, Consumer<SequencedBatch> onCommitted) {
    this(bootstrapServers, transactionalId, userProperties, capacity, format, registry, onCommitted, true);
  }

  /**
   * @param gauges whether this sink registers the buffer and up gauges (false for the many sinks of a cluster
   *               member, whose router reports them for all; the counters are shared by name either way)
   */
  public KafkaSink(String bootstrapServers, String transactionalId, Map<String, String> userProperties,
      int capacity, RecordFormat format, MeterRegistry registry, Consumer<SequencedBatch> onCommitted, boolean gauges) {
    Map<String, Object> config = new HashMap<>(userProperties);
    for (String fixed : List.of(ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
        ProducerConfig.TRANSACTIONAL_ID_CONFIG)) {
      if (config.remove(fixed) != null) {
        log.warn("kafka.producer.{} is ignored: the relay's exactly-once delivery depends on its own value", fixed);
      }
    }
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    // A short block bound lets the sender notice an outage and report it instead of hanging for a minute.
    config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, transactionalId);
    this.producerConfig = Map.copyOf(config);
    this.capacity = capacity;
    this.format = format;
    this.onCommitted = onCommitted;

    if (gauges) {
      Gauge.builder("danmaku.kafka.buffered.messages", bufferedMessages, AtomicLong::get)
          .description("Messages waiting to be committed to Kafka").register(registry);
      Gauge.builder("danmaku.kafka.up", this, sink -> sink.healthy() ? 1 : 0)
          .description("1 while the last Kafka transaction succeeded and none is stalled").register(registry);
    }
    published = Counter.builder("danmaku.messages.published")
        .description("Danmaku committed to Kafka").register(registry);
    transactions = Counter.builder("danmaku.kafka.transactions")
        .description("Kafka transactions committed").register(registry);
    errors = Counter.builder("danmaku.kafka.errors")
        .description("Failed Kafka transaction attempts (retried)").register(registry);
    publishDelay = Timer.builder("danmaku.publish.delay")
        .description("From a message's upstream time to its Kafka commit")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10))
        .maximumExpectedValue(Duration.ofMinutes(5))
        .register(registry);
    transactionSize = DistributionSummary.builder("danmaku.kafka.transaction.records")
        .description("Records per Kafka transaction").register(registry);
    sender = new Thread(this::run, "kafka-sink");
    sender.setDaemon(true);
  }

  public void start() {
    sender.start();
  }

  /**
   * Cluster mode: when another producer fences this one ({@code ProducerFencedException}: the partition moved
   * while this relay was paused), the sink drops what it holds, stops, and calls {@code listener} (on its
   * thread) instead of only logging; and its producer is initialised once: any failure that would need a new
   * producer is treated as fencing, since a second {@code initTransactions} would fence the new owner. Call
   * before {@link #start}.
   */
  public void onFenced(Runnable listener) {
    this.onFenced = listener;
    this.initOnce = true;
  }

  /**
   * Stops at once without committing what it holds (the partition was lost: its new owner continues from the
   * last committed state). Does not wait for the sender.
   */
  public void abandon() {
    abandoned = true;
    closing = true;
    closeDeadlineNanos = System.nanoTime();
  }

  /** Starts delivering what is buffered and closing, waiting at most {@code timeout}; see {@link #awaitClosed}. */
  public void beginClose(Duration timeout) {
    closeDeadlineNanos = System.nanoTime() + timeout.toNanos();
    closing = true;
  }

  /** Waits for the sender to end (after {@link #beginClose} or {@link #abandon}). */
  public void awaitClosed(Duration timeout) {
    try {
      sender.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Queues a batch; never blocks. The caller keeps the buffer bounded by checking {@link #hasRoomFor}. */
  @Override
  public void submit(SequencedBatch batch) {
    bufferedMessages.addAndGet(batch.messages());
    queue.add(batch);
  }

  /** Waits until the transactional producer is initialised (start-up), at most {@code timeout}. */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready && !fatal && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return ready;
  }

  /** Whether {@code messages} more fit in the buffer. */
  @Override
  public boolean hasRoomFor(int messages) {
    return bufferedMessages.get() + messages <= capacity;
  }

  @Override
  public long bufferedMessages() {
    return bufferedMessages.get();
  }

  public int capacity() {
    return capacity;
  }

  /** True when the producer is ready and no transaction has been failing or stalled for long. */
  public boolean healthy() {
    long stalled = stalledSinceMs.get();
    return ready && !fatal && (stalled == 0 || System.currentTimeMillis() - stalled < 5_000);
  }

  /** Whether the sink has given up for good (e.g. fenced by another instance with the same transactional id). */
  public boolean failed() {
    return fatal;
  }

  /** The last error seen, or null after a successful commit. */
  public String lastError() {
    return lastError;
  }

  /** Delivers what is buffered (waiting at most {@code timeout}) and closes the producer. */
  public void close(Duration timeout) {
    closeDeadlineNanos = System.nanoTime() + timeout.toNanos();
    closing = true;
    try {
      sender.join(timeout.toMillis() + 2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long left = bufferedMessages.get();
    if (left > 0) {
      log.error("kafka sink closed with {} messages not delivered (Kafka unreachable for the whole shutdown)", left);
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  private void run() {
    int failures = 0;
    List<Prepared> pending = new ArrayList<>();
    List<SequencedBatch> drained = new ArrayList<>();
    while (!fatal && !abandoned) {
      if (pending.isEmpty()) {
        if (closing && queue.isEmpty()) {
          break;
        }
        try {
          SequencedBatch first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            probeWhenIdle();
            continue;
          }
          drained.add(first);
          queue.drainTo(drained, MAX_BATCHES_PER_TRANSACTION - 1);
          // Serialised once here, off every event loop, and kept for the retries of this transaction.
          prepare(drained, pending);
          drained.clear();
        } catch (InterruptedException e) {
          break;
        }
      }
      if (closing && System.nanoTime() > closeDeadlineNanos) {
        break;
      }
      if (publish(pending)) {
        failures = 0;
        pending.clear();
      } else if (!fatal) {
        sleepQuietly(RETRY_BACKOFF.delayMs(++failures, ThreadLocalRandom.current()));
      }
    }
    closeProducer(abandoned ? Duration.ZERO : Duration.ofSeconds(5));
    if (admin != null) {
      admin.close(Duration.ofSeconds(1));
    }
  }

  /**
   * With nothing to send, a failure would go unnoticed: every few seconds ask the cluster whether it is
   * there, so health tells the truth while traffic is quiet (and the producer is ready before the first message).
   */
  private void probeWhenIdle() {
    if (System.nanoTime() - lastProbeNanos < IDLE_PROBE_NANOS) {
      return;
    }
    lastProbeNanos = System.nanoTime();
    try {
      ensureProducer();
      if (initOnce) {
        // A cluster partition's sink: the relay's own sink probes the cluster for health.
        return;
      }
      if (admin == null) {
        Map<String, Object> adminConfig = new HashMap<>();
        producerConfig.forEach((key, value) -> {
          if (AdminClientConfig.configNames().contains(key)) {
            adminConfig.put(key, value);
          }
        });
        admin = Admin.create(adminConfig);
      }
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000)).nodes().get(6, TimeUnit.SECONDS);
      if (stalledSinceMs.getAndSet(0) != 0) {
        log.info("kafka is reachable again");
      }
      lastError = null;
    } catch (KafkaException | ExecutionException | java.util.concurrent.TimeoutException e) {
      fail(e instanceof ExecutionException ? (Exception) e.getCause() : e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The records of batches that commit in one transaction. A stream's state record goes with its last batch
   * only: the transaction commits all of them or none, so the earlier states of the same stream would be
   * superseded before any read_committed reader saw them (and compaction keeps the last per key anyway), while
   * each is a few KB of JSON (a room's dedupe windows) to encode and send, as much as the messages.
   */
  private void prepare(List<SequencedBatch> batches, List<Prepared> into) {
    Map<StreamKey, Integer> lastWithState = new HashMap<>();
    for (int i = 0; i < batches.size(); i++) {
      SequencedBatch batch = batches.get(i);
      if (batch.stream() != null && batch.state() != null) {
        lastWithState.put(batch.stream(), i);
      }
    }
    for (int i = 0; i < batches.size(); i++) {
      SequencedBatch batch = batches.get(i);
      Integer last = batch.stream() == null ? null : lastWithState.get(batch.stream());
      into.add(new Prepared(batch, format.records(batch, last != null && last == i)));
    }
  }

  /** One transaction attempt for the given batches; false when it must be retried. */
  private boolean publish(List<Prepared> batches) {
    try {
      ensureProducer();
      if (abortPending) {
        producer.abortTransaction();
        abortPending = false;
      }
      producer.beginTransaction();
      int records = 0;
      for (Prepared batch : batches) {
        for (ProducerRecord<String, byte[]> record : batch.records()) {
          throwIfFailedAtOnce(producer.send(record));
          records++;
        }
      }
      commit();
      onCommit(batches, records);
      return true;
    } catch (ProducerFencedException | AuthorizationException | UnsupportedVersionException e) {
      fail(e);
      if (e instanceof ProducerFencedException) {
        fenced(e);
      } else if (initOnce) {
        fenced(e);
      } else {
        log.error("kafka transaction failed and will be retried with a new producer: {}", e.toString());
        closeProducer(Duration.ZERO);
      }
      return false;
    } catch (KafkaException | IllegalStateException e) {
      fail(e);
      log.warn("kafka transaction of {} batches failed, retrying: {}", batches.size(), e.toString());
      abortOrReset();
      if (initOnce && producer == null && initialised) {
        fenced(e);
      }
      return false;
    }
  }

  /** Another producer with our transactional id took over: nothing this sink holds may be committed. */
  private void fenced(Exception e) {
    fatal = true;
    Runnable listener = onFenced;
    if (listener == null) {
      log.error("kafka sink stopped: another producer uses transactional id {} ({})",
          producerConfig.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG), e.getMessage());
      return;
    }
    long dropped = bufferedMessages.getAndSet(0);
    queue.clear();
    log.warn("kafka sink {} fenced or failed for good ({}): {} messages dropped uncommitted",
        producerConfig.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG), e.toString(), dropped);
    try {
      listener.run();
    } catch (RuntimeException failed) {
      log.error("fencing listener failed", failed);
    }
  }

  /**
   * A send that cannot even be queued (metadata unavailable for max.block.ms) does not throw: it returns
   * a failed future. Stop at the first one, or every further record would block for max.block.ms too.
   */
  private static void throwIfFailedAtOnce(Future<RecordMetadata> sent) {
    if (!sent.isDone()) {
      return;
    }
    try {
      sent.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KafkaException kafka ? kafka : new KafkaException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while sending", e);
    }
  }

  /**
   * Commits, retrying on timeouts: a timed-out commit may still complete, and calling commit again waits
   * for that same outcome, whereas aborting and resending could write the messages twice.
   */
  private void commit() {
    while (true) {
      try {
        producer.commitTransaction();
        return;
      } catch (TimeoutException e) {
        fail(e);
        if (closing && System.nanoTime() > closeDeadlineNanos) {
          throw e;
        }
        log.warn("kafka commit timed out, waiting for the broker: {}", e.getMessage());
      }
    }
  }

  private void onCommit(List<Prepared> batches, int records) {
    long now = System.currentTimeMillis();
    int messages = 0;
    for (Prepared prepared : batches) {
      messages += prepared.batch().messages();
      for (SourceItem item : prepared.batch().items()) {
        if (item.upstreamTsMs() > 0) {
          publishDelay.record(Math.max(0, now - item.upstreamTsMs()), TimeUnit.MILLISECONDS);
        }
      }
    }
    bufferedMessages.addAndGet(-messages);
    published.increment(messages);
    transactions.increment();
    transactionSize.record(records);
    if (stalledSinceMs.getAndSet(0) != 0) {
      log.info("kafka is reachable again; delivering {} buffered messages", bufferedMessages.get());
    }
    lastError = null;
    for (Prepared prepared : batches) {
      try {
        onCommitted.accept(prepared.batch());
      } catch (RuntimeException e) {
        log.error("commit listener failed for {}", prepared.batch().stream(), e);
      }
    }
  }

  private void fail(Throwable e) {
    errors.increment();
    lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
    stalledSinceMs.compareAndSet(0, System.currentTimeMillis());
  }

  private void abortOrReset() {
    if (producer == null) {
      return;
    }
    try {
      producer.abortTransaction();
      abortPending = false;
    } catch (TimeoutException e) {
      // Kafka unreachable (an outage): the abort may be retried with the same producer, and must be — a cluster
      // partition's sink may not make a new one (its initTransactions could fence the partition's next owner).
      abortPending = true;
      log.debug("abort timed out, retried before the next transaction: {}", e.toString());
    } catch (KafkaException | IllegalStateException e) {
      abortPending = false;
      log.debug("abort failed, replacing the producer: {}", e.toString());
      closeProducer(Duration.ZERO);
    }
  }

  private void ensureProducer() {
    if (producer != null) {
      return;
    }
    if (initOnce && initialised) {
      throw new ProducerFencedException("the producer of a cluster partition is initialised once");
    }
    KafkaProducer<String, byte[]> created =
        new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
    try {
      // Fences any earlier producer with our id and aborts (or completes) its open transaction.
      created.initTransactions();
    } catch (RuntimeException e) {
      created.close(Duration.ZERO);
      ready = false;
      throw e;
    }
    producer = created;
    initialised = true;
    ready = true;
  }

  private void closeProducer(Duration timeout) {
    if (producer != null) {
      try {
        producer.close(timeout);
      } catch (RuntimeException e) {
        log.debug("closing the Kafka producer: {}", e.toString());
      }
      producer = null;
      ready = false;
      abortPending = false;
    }
  }

  /** A batch with its records, built once. */
  private record Prepared(SequencedBatch batch, List<ProducerRecord<String, byte[]>> records) {}

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
