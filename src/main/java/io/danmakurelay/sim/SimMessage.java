package io.danmakurelay.sim;

import io.danmakurelay.upstream.DanmakuList;

/**
 * One generated message, the simulator's ground truth. Kept compact (about 2 M of them may live in
 * memory): the wire-only fields (rnd, check_info.ct, id_str) are derived from {@code bits} on demand.
 *
 * @param roomId   the real room id
 * @param seq      0-based position in the room's generation order
 * @param list     which list it belongs to
 * @param uid      sender
 * @param nickname sender's nickname
 * @param text     the message text
 * @param tsMs     epoch milliseconds when it was sent
 * @param bits     random bits behind rnd, ct and id_str; a repeat shares rnd with its original
 * @param repeat   true when this is an identical resend of the previous message
 */
public record SimMessage(
    long roomId,
    int seq,
    DanmakuList list,
    long uid,
    String nickname,
    String text,
    long tsMs,
    long bits,
    boolean repeat) {

  /** The legacy API's {@code rnd}: a decimal string shared by a repeat and its original. */
  public String rnd() {
    return Long.toString(((bits >>> 32) & 0x7fff_ffffL) % 1_000_000_000L + 1_000_000_000L);
  }

  /** {@code check_info.ct}: 8 upper-case hex digits, different for each message. */
  public String ct() {
    return String.format("%08X", (int) (bits ^ (seq * 0x9E3779B9L)));
  }

  /** {@code id_str}: unique per room and message, 32 hex digits. */
  public String idStr() {
    return String.format("%016x%08x%08x", bits ^ (seq * 0xBF58476D1CE4E5B9L), (int) roomId, seq);
  }

  /** The second-resolution Beijing-time {@code timeline}. */
  public String timeline() {
    return Timeline.format(tsMs);
  }
}
