package io.danmakurelay.cluster;

import io.danmakurelay.pipeline.BatchSink;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.StreamKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's one {@link BatchSink} in cluster mode: hands each room's batch to the sink of the room's
 * partition (one transactional producer per owned partition, so that fencing is per partition). A batch for a
 * partition this relay does not own (now) is dropped and counted: it can only come from a room being stopped,
 * whose new owner continues from the last committed state. Batches of no room (the room list's own entries,
 * video parts) go to the relay's own sink. Thread-safe.
 */
public final class PartitionedSink implements BatchSink {

  private static final Logger log = LoggerFactory.getLogger(PartitionedSink.class);

  private final LongToIntFunction partitionOf;
  private final BatchSink relaySink;
  private final long capacity;
  private final Map<Integer, BatchSink> sinks = new ConcurrentHashMap<>();
  private final Counter dropped;

  /**
   * @param partitionOf the partition of a real room id ({@link ClusterView#partitionOf})
   * @param relaySink   this relay's own sink, for batches that belong to no room
   * @param capacity    messages all sinks together may hold ({@code kafka.bufferSize})
   */
  public PartitionedSink(LongToIntFunction partitionOf, BatchSink relaySink, long capacity, MeterRegistry registry) {
    this.partitionOf = partitionOf;
    this.relaySink = relaySink;
    this.capacity = capacity;
    this.dropped = Counter.builder("danmaku.cluster.batches.dropped")
        .description("Batches of rooms whose partition this relay no longer owns, dropped uncommitted")
        .register(registry);
  }

  /** From now on, batches of the partition's rooms go to {@code sink}. */
  public void put(int partition, BatchSink sink) {
    sinks.put(partition, sink);
  }

  /** Stops routing to the partition's sink; returns it, or null when none was routed to. */
  public BatchSink remove(int partition) {
    return sinks.remove(partition);
  }

  /** Stops routing to {@code sink} if it is still the partition's; whether it was. */
  public boolean remove(int partition, BatchSink sink) {
    return sinks.remove(partition, sink);
  }

  /** The sink of a partition, or null. */
  public BatchSink sinkOf(int partition) {
    return sinks.get(partition);
  }

  @Override
  public void submit(SequencedBatch batch) {
    StreamKey stream = batch.stream();
    if (stream == null || stream.kind() != StreamKey.Kind.ROOM) {
      relaySink.submit(batch);
      return;
    }
    int partition = partitionOf.applyAsInt(stream.id());
    BatchSink sink = sinks.get(partition);
    if (sink == null) {
      dropped.increment();
      log.debug("dropped a batch of room {}: partition {} is not owned", stream.id(), partition);
      return;
    }
    sink.submit(batch);
  }

  @Override
  public boolean hasRoomFor(int messages) {
    return bufferedMessages() + messages <= capacity;
  }

  @Override
  public long bufferedMessages() {
    long sum = relaySink.bufferedMessages();
    for (BatchSink sink : sinks.values()) {
      sum += sink.bufferedMessages();
    }
    return sum;
  }

  /** Batches dropped because their room's partition was not owned. */
  public long droppedBatches() {
    return (long) dropped.count();
  }
}
