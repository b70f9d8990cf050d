package io.danmakurelay.pipeline;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A {@link SourceBatch} after the pipeline numbered it: message {@code i} has seq {@code firstSeq + i}
 * (for sequenced streams; 0 otherwise), and {@code state} holds the stream's dedupe state with the last
 * seq under {@link Pipeline#SEQ_FIELD}, so seq is as durable as the dedupe state it commits with.
 */
public record SequencedBatch(SourceBatch batch, long firstSeq, JsonObject state) {

  public StreamKey stream() {
    return batch.stream();
  }

  public List<SourceItem> items() {
    return batch.items();
  }

  /** How many numbered messages (not side records, not state) the batch holds. */
  public int messages() {
    return batch.items().size();
  }
}
