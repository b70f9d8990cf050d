package io.danmakurelay.poll;

/** What the scheduler says to do now. */
public sealed interface Decision {

  /** Poll this room now; one budget token has been spent for it. */
  record PollNow(long roomId) implements Decision {}

  /** Nothing to do before this instant (epoch ms): no room is due, or the budget is spent. */
  record WaitUntil(long atMs) implements Decision {}

  /** No room is followed (or all are invalid): nothing to do until a room is added. */
  record Idle() implements Decision {}
}
