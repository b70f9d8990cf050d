package io.danmakurelay.push;

import io.danmakurelay.upstream.Danmaku;
import io.vertx.core.json.JsonObject;

/**
 * What a room's push connection reports. All calls of one room come on the push client's context, one at
 * a time, in the order the frames arrived.
 */
public interface PushListener {

  /** Auth succeeded: messages flow from now on (what was sent before is for a backfill poll to find). */
  void connected(long roomId);

  /** The connection ended; {@code reason} is a short label (the reconnect metric's). */
  void disconnected(long roomId, String reason);

  /**
   * An attempt to connect failed before auth succeeded (no connection was up, so no {@link #disconnected});
   * {@code reason} as for {@link #disconnected}. The next attempt follows after the reconnect delay.
   */
  default void attemptFailed(long roomId, String reason) {}

  void danmaku(long roomId, Danmaku danmaku);

  /** A non-chat command, {@code cmd} without its suffix, {@code raw} the command object. */
  void event(long roomId, String cmd, JsonObject raw);
}
