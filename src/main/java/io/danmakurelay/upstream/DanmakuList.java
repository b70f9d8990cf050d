package io.danmakurelay.upstream;

/** The two lists of a poll answer: ordinary viewers ({@code data.room}) and room admins ({@code data.admin}). */
public enum DanmakuList {
  ROOM("room"),
  ADMIN("admin");

  private final String wireName;

  DanmakuList(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the upstream payload and in the Kafka record's {@code list} field. */
  public String wireName() {
    return wireName;
  }
}
