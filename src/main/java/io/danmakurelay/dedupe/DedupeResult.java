package io.danmakurelay.dedupe;

import java.util.List;

/**
 * What one poll answer added to a room's stream.
 *
 * @param fresh      new messages, room list then admin list, each oldest first
 * @param duplicates items of the answer that had been seen before
 * @param gap        a full window (of either list) shared nothing with the previous one
 */
public record DedupeResult(List<FreshMessage> fresh, int duplicates, boolean gap) {
  public DedupeResult {
    fresh = List.copyOf(fresh);
  }
}
