package io.danmakurelay.upstream;

import java.util.List;

/** The parsed answer to one poll: either both windows, or a classified failure. */
public sealed interface PollResult {

  /** Both windows, each oldest first, at most 10 items each upstream. */
  record Success(List<Danmaku> room, List<Danmaku> admin) implements PollResult {
    public Success {
      room = List.copyOf(room);
      admin = List.copyOf(admin);
    }
  }

  /** A failed poll, with the metric outcome, what to do about it and a short reason for logs. */
  record Failure(PollOutcome outcome, FailureKind kind, String reason) implements PollResult {}
}
