package io.danmakurelay.testsupport;

import io.danmakurelay.pipeline.BatchSink;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SideRecord;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A sink that keeps every batch it is given, counts them as buffered, and can be made full. Give it a
 * thread-safe list when batches arrive from another thread than the test's.
 */
public final class RecordingSink implements BatchSink {

  private final List<SequencedBatch> batches;
  /** While true, {@link #hasRoomFor} says no. */
  public volatile boolean full;

  public RecordingSink() {
    this(new ArrayList<>());
  }

  public RecordingSink(List<SequencedBatch> batches) {
    this.batches = batches;
  }

  @Override
  public void submit(SequencedBatch batch) {
    batches.add(batch);
  }

  @Override
  public boolean hasRoomFor(int messages) {
    return !full;
  }

  @Override
  public long bufferedMessages() {
    return batches.stream().mapToLong(SequencedBatch::messages).sum();
  }

  /** Every batch submitted so far, in order. */
  public List<SequencedBatch> batches() {
    return batches;
  }

  /** The message values submitted for one room, in order. */
  public List<JsonObject> messages(long room) {
    List<JsonObject> out = new ArrayList<>();
    for (SequencedBatch b : batches) {
      if (b.stream() != null && b.stream().id() == room) {
        b.items().forEach(item -> out.add(item.value()));
      }
    }
    return out;
  }

  /** The side records submitted so far whose key starts with {@code prefix}. */
  public List<SideRecord> side(String prefix) {
    List<SideRecord> out = new ArrayList<>();
    for (SequencedBatch b : batches) {
      b.batch().side().stream().filter(s -> s.key().startsWith(prefix)).forEach(out::add);
    }
    return out;
  }
}
