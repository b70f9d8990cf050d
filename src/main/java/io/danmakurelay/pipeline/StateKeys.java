package io.danmakurelay.pipeline;

/**
 * Keys of the relay's own entries in the compacted state topic, besides each stream's state
 * ({@link StreamKey#stateKey()}). One place, so that writers and the start-up reader agree.
 */
public final class StateKeys {

  /** A room followed at run time: {@code room/<requested id>}. */
  public static final String FOLLOWED_ROOM = "room/";

  /**
   * What {@code room_init} answered for a requested id: {@code resolved/<requested id>} →
   * {@code {"room_id":REAL,"short_id":SHORT}}, so a restart polls at once instead of resolving every room again.
   */
  public static final String RESOLVED_ROOM = "resolved/";

  /** A video followed at run time: {@code video/<canonical id>} ({@code av170001}, {@code BV...}, {@code ep...}). */
  public static final String FOLLOWED_VIDEO = "video/";

  /** The fingerprint of the last metadata record written for a video: {@code video-meta/<aid>}. */
  public static final String VIDEO_META_WRITTEN = "video-meta/";

  private StateKeys() {}

  public static String followedVideo(String canonicalId) {
    return FOLLOWED_VIDEO + canonicalId;
  }

  public static String followedRoom(long requestedId) {
    return FOLLOWED_ROOM + requestedId;
  }

  public static String resolvedRoom(long requestedId) {
    return RESOLVED_ROOM + requestedId;
  }

  /** The id after {@code prefix} in {@code key}, or -1 when the key is not of that kind. */
  public static long idAfter(String key, String prefix) {
    if (key == null || !key.startsWith(prefix)) {
      return -1;
    }
    String digits = key.substring(prefix.length());
    if (!digits.matches("[0-9]{1,18}")) {
      return -1;
    }
    long id = Long.parseLong(digits);
    return id > 0 ? id : -1;
  }
}
