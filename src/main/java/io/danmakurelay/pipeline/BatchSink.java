package io.danmakurelay.pipeline;

/**
 * Where numbered batches go: the Kafka sink in the relay, a recording fake in tests. A sink writes a
 * batch's messages, side records and state atomically, keeps one stream's batches in order, and never
 * blocks the caller.
 */
public interface BatchSink {

  /** Queues a batch; never blocks. Callers keep the buffer bounded with {@link #hasRoomFor}. */
  void submit(SequencedBatch batch);

  /** Whether {@code messages} more fit in the sink's buffer. */
  boolean hasRoomFor(int messages);

  /** Messages queued and not yet committed (0 for a sink that does not know). */
  default long bufferedMessages() {
    return 0;
  }
}
