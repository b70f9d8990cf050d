package io.danmakurelay.video;

import io.danmakurelay.upstream.FailureKind;
import io.danmakurelay.upstream.PollOutcome;

/**
 * What one video API call yielded: a typed value, "no such video" (give up on it), or a failure sorted by
 * remedy (retry later, or back off hard under risk control).
 */
public sealed interface ApiAnswer<T> {

  record Ok<T>(T value) implements ApiAnswer<T> {}

  /** The upstream says the video (or part, or episode) does not exist: {@code -404}, HTTP 404, empty data. */
  record NotFound<T>(String reason) implements ApiAnswer<T> {}

  record Failed<T>(PollOutcome outcome, FailureKind kind, String reason) implements ApiAnswer<T> {}

  /** The outcome label for {@code danmaku_video_requests_total}. */
  default String outcomeLabel() {
    if (this instanceof Failed<T> f) {
      return f.outcome().label();
    }
    return this instanceof NotFound<T> ? "not_found" : "ok";
  }
}
