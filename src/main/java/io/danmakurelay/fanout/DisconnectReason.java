package io.danmakurelay.fanout;

/** Why a WebSocket connection ended: the fixed values of the {@code reason} tag of {@code danmaku_ws_disconnects_total}. */
enum DisconnectReason {
  /** The client closed, or the network dropped it. */
  CLIENT("client"),
  /** Its write queue stayed over the bound: it could not keep up. */
  SLOW("slow"),
  /** It sent frames faster than allowed. */
  FLOOD("flood"),
  /** It sent a message larger than allowed. */
  OVERSIZED("oversized"),
  /** The relay is shutting down. */
  SHUTDOWN("shutdown");

  final String tag;

  DisconnectReason(String tag) {
    this.tag = tag;
  }
}
