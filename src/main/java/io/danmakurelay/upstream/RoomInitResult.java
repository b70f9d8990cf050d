package io.danmakurelay.upstream;

/** The answer to a {@code room_init} lookup. */
public sealed interface RoomInitResult {

  /** The room exists: its real id, its short id (0 when it has none) and live status (0 off, 1 live, 2 round). */
  record Resolved(long realId, long shortId, int liveStatus) implements RoomInitResult {}

  /** The room does not exist (code 60004). */
  record NotFound(String reason) implements RoomInitResult {}

  /** The lookup failed for a reason that may pass (network, 5xx, risk control, bad body). */
  record Failed(PollOutcome outcome, FailureKind kind, String reason) implements RoomInitResult {}
}
