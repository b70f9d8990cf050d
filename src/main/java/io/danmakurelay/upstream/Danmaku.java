package io.danmakurelay.upstream;

import io.vertx.core.json.JsonObject;

/**
 * One chat message as parsed from a poll answer, with the raw item kept exactly as received.
 *
 * @param list      which list of the answer it came from
 * @param text      the message text (user content: data, never markup)
 * @param uid       the sender's user id
 * @param nickname  the sender's nickname
 * @param timeline  "yyyy-MM-dd HH:mm:ss" in Beijing time (UTC+8), one-second resolution
 * @param ts        epoch milliseconds: {@code check_info.ts} when present, else {@code timeline} read as UTC+8
 * @param idStr     the modern API's unique id ({@code id_str}), or null (legacy API)
 * @param rnd       the upstream's {@code rnd} field, or "" when absent
 * @param checkCt   {@code check_info.ct} when present, or null
 * @param raw       the upstream item exactly as received, as a tree (push commands, and poll items the
 *                  parser could not keep as bytes); null when {@code rawBytes} holds it
 * @param rawBytes  the upstream item's own bytes, cut out of the answer (UTF-8 JSON), or null; the record value
 *                  is written around them, so an item is never parsed into a tree and serialised again
 */
public record Danmaku(
    DanmakuList list,
    String text,
    long uid,
    String nickname,
    String timeline,
    long ts,
    String idStr,
    String rnd,
    String checkCt,
    JsonObject raw,
    byte[] rawBytes) {

  /** A message whose raw item is a tree (push commands). */
  public Danmaku(DanmakuList list, String text, long uid, String nickname, String timeline, long ts, String idStr,
      String rnd, String checkCt, JsonObject raw) {
    this(list, text, uid, nickname, timeline, ts, idStr, rnd, checkCt, raw, null);
  }

  /** The raw item as a tree: the one held, or its bytes parsed (each call parses again: for tests, not hot paths). */
  @Override
  public JsonObject raw() {
    return raw != null || rawBytes == null ? raw : new JsonObject(io.vertx.core.buffer.Buffer.buffer(rawBytes));
  }
}
