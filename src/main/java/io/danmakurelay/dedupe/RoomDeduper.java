package io.danmakurelay.dedupe;

import io.danmakurelay.upstream.PollResult;
import io.vertx.core.json.JsonObject;

/**
 * Turns one room's overlapping poll windows into new messages, each exactly once. Pure logic, bounded
 * state (a few windows per list). API STUB - to be implemented.
 */
public final class RoomDeduper {

  public RoomDeduper(long roomId) {
    throw new UnsupportedOperationException("stub");
  }

  /** Aligns both lists of the answer with what was seen before and returns what is new. */
  public DedupeResult accept(PollResult.Success answer) {
    throw new UnsupportedOperationException("stub");
  }

  /** The state needed to go on after a restart without re-publishing (small JSON). */
  public JsonObject snapshot() {
    throw new UnsupportedOperationException("stub");
  }

  /** Rebuilds a deduper from {@link #snapshot()}; a malformed snapshot gives a fresh deduper. */
  public static RoomDeduper restore(long roomId, JsonObject snapshot) {
    throw new UnsupportedOperationException("stub");
  }
}
