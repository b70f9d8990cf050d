package io.danmakurelay.pipeline;

import io.vertx.core.json.JsonObject;

/**
 * A record that goes with a batch but is not one of its stream's numbered messages: a push event, a
 * video's metadata, or an entry of the relay's own state (rooms and videos followed at run time). The
 * sink maps the kind to its topic (SPEC §4).
 *
 * @param kind   where it goes
 * @param key    the record key
 * @param value  the value, or null for a tombstone (compacted topics)
 * @param source the {@code source} header ({@code push}, {@code video-pool}, ...), or null for none
 */
public record SideRecord(Kind kind, String key, JsonObject value, String source) {

  public enum Kind {
    /** {@code kafka.eventsTopic}: a push command that is not a chat message. */
    EVENT,
    /** {@code kafka.videoMetaTopic} (compacted): a video's metadata. */
    VIDEO_META,
    /** {@code kafka.stateTopic} (compacted): the relay's own state (followed rooms and videos, resolved ids, ...). */
    STATE
  }
}
