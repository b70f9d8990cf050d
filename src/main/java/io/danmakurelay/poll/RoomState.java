package io.danmakurelay.poll;

/** A followed room's state as shown by {@code /api/rooms} and the {@code danmaku_rooms{state}} gauge. */
public enum RoomState {
  POLLING("polling"),
  BACKOFF("backoff"),
  INVALID("invalid");

  private final String label;

  RoomState(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
