package io.danmakurelay.pipeline;

/**
 * One ordered stream of a source: a live room (by real id) or a video part (by cid). The unit of order,
 * of dedupe state and of {@code seq}: one stream's batches reach Kafka in the order they were published.
 */
public record StreamKey(Kind kind, long id) {

  /** What a stream is; it decides the topic and whether its messages are numbered. */
  public enum Kind {
    /** A live room: danmaku from polling and push, numbered by {@code seq} (SPEC §4). */
    ROOM("dedupe/", true),
    /** A video part (cid): pool and history danmaku, each dmid once; no seq in the record format. */
    VIDEO_PART("video-part/", false);

    private final String stateKeyPrefix;
    private final boolean sequenced;

    Kind(String stateKeyPrefix, boolean sequenced) {
      this.stateKeyPrefix = stateKeyPrefix;
      this.sequenced = sequenced;
    }

    /** Whether its messages carry a durable {@code seq}. */
    public boolean sequenced() {
      return sequenced;
    }
  }

  public StreamKey {
    if (kind == null || id <= 0) {
      throw new IllegalArgumentException("a stream needs a kind and a positive id, got " + kind + "/" + id);
    }
  }

  public static StreamKey room(long realRoomId) {
    return new StreamKey(Kind.ROOM, realRoomId);
  }

  public static StreamKey videoPart(long cid) {
    return new StreamKey(Kind.VIDEO_PART, cid);
  }

  /** The key of this stream's state record in the compacted state topic. */
  public String stateKey() {
    return kind.stateKeyPrefix + id;
  }

  /** The stream of a state record key, or null when the key is not a stream's state. */
  public static StreamKey ofStateKey(String key) {
    if (key == null) {
      return null;
    }
    for (Kind kind : Kind.values()) {
      if (key.startsWith(kind.stateKeyPrefix)) {
        String digits = key.substring(kind.stateKeyPrefix.length());
        if (digits.matches("[0-9]{1,18}") && Long.parseLong(digits) > 0) {
          return new StreamKey(kind, Long.parseLong(digits));
        }
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return (kind == Kind.ROOM ? "room " : "video part ") + id;
  }
}
