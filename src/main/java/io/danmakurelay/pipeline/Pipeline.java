package io.danmakurelay.pipeline;

import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * The seam between sources and the sink: gives each message of a sequenced stream its next {@code seq}
 * (in its record value, under {@link #SEQ_FIELD}) and records the last one in the stream's state, then hands the batch to the {@link BatchSink}. The seq
 * counters start from the state restored from Kafka, so seq continues across restarts and crashes: a batch
 * lost in a crash was never committed, and its seqs are given again to the messages published instead.
 *
 * <p>Thread-safe: numbering and queueing happen under one lock, so the sink receives one stream's batches
 * in seq order whichever thread publishes them.
 */
public final class Pipeline {

  /** The field of a stream's state record that holds its last seq. */
  public static final String SEQ_FIELD = "seq";

  private final BatchSink sink;
  private final Map<StreamKey, Long> lastSeq = new HashMap<>();

  public Pipeline(BatchSink sink) {
    this.sink = sink;
  }

  /** Continues a stream's seq from its state as restored from Kafka (call before its first batch). */
  public synchronized void restore(StreamKey stream, JsonObject state) {
    if (state != null && state.getValue(SEQ_FIELD) instanceof Number seq && seq.longValue() > 0) {
      lastSeq.merge(stream, seq.longValue(), Math::max);
    }
  }

  /**
   * Replaces the seq of every stream {@code which} accepts by its state as restored from Kafka (cluster mode,
   * on taking over a partition): whatever this relay numbered for them before was never committed or is
   * older than what their last owner committed. A stream without a restored state starts again at 1.
   */
  public synchronized void reset(java.util.function.Predicate<StreamKey> which, Map<StreamKey, JsonObject> restored) {
    lastSeq.keySet().removeIf(which);
    restored.forEach((stream, state) -> {
      if (which.test(stream)) {
        restore(stream, state);
      }
    });
  }

  /** Numbers the batch's messages and queues it for the sink; never blocks. */
  public synchronized SequencedBatch publish(SourceBatch batch) {
    StreamKey stream = batch.stream();
    long firstSeq = 0;
    JsonObject state = batch.state();
    if (stream != null && stream.kind().sequenced()) {
      if (state == null && !batch.items().isEmpty()) {
        // The seq rides in the state record: without one it would not be durable.
        throw new IllegalArgumentException(stream + ": a batch with messages must carry the stream's state");
      }
      long last = lastSeq.getOrDefault(stream, 0L);
      firstSeq = last + 1;
      for (SourceItem item : batch.items()) {
        item.value().put(SEQ_FIELD, ++last);
      }
      lastSeq.put(stream, last);
      if (state != null) {
        // The state is the source's fresh snapshot and the pipeline's from here on (SourceBatch): no copy. A
        // deep copy of every window's digests per batch was a measurable share of the relay's CPU.
        state.put(SEQ_FIELD, last);
      }
    }
    SequencedBatch sequenced = new SequencedBatch(batch, firstSeq, state);
    sink.submit(sequenced);
    return sequenced;
  }

  /** Whether {@code messages} more fit in the sink's buffer (sources pause while they do not). */
  public boolean hasRoomFor(int messages) {
    return sink.hasRoomFor(messages);
  }
}
