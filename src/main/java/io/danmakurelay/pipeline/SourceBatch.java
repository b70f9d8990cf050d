package io.danmakurelay.pipeline;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a source hands the pipeline after one upstream answer: one stream's fresh messages, oldest first,
 * with the stream's new dedupe state, and side records that must commit with them. A source knows no
 * Kafka type; the sink writes all of it in one transaction, so a crash keeps both or neither.
 *
 * @param stream   the stream the messages belong to
 * @param source   the {@code source} header of the messages ({@code ajax-msg}, {@code gethistory},
 *                 {@code push}, {@code video-pool}, {@code video-history})
 * @param items    fresh messages, in stream order (may be empty: a state-only batch)
 * @param state    the stream's new dedupe state (opaque to the pipeline, which adds the stream's seq to it: a
 *                 fresh object the source does not touch again), or null when it did not change
 * @param side     records that go with the batch (events, metadata, state entries)
 */
public record SourceBatch(StreamKey stream, String source, List<SourceItem> items, JsonObject state,
    List<SideRecord> side) {

  public SourceBatch {
    items = List.copyOf(items);
    side = List.copyOf(side);
  }

  public SourceBatch(StreamKey stream, String source, List<SourceItem> items, JsonObject state) {
    this(stream, source, items, state, List.of());
  }

  /** A batch of side records alone (no stream, no messages, no state). */
  public static SourceBatch sideOnly(List<SideRecord> side) {
    return new SourceBatch(null, null, List.of(), null, side);
  }
}
