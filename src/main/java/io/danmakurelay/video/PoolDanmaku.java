package io.danmakurelay.video;

/**
 * One {@code <d p="...">text</d>} of a pool, every field of {@code p} checked (SPEC §1c).
 *
 * @param dmid       field 8, the danmaku's unique id (digits)
 * @param progressMs field 1, where in the video it appears, in ms
 * @param rawP       the {@code p} attribute exactly as received
 * @param dmidValue  {@code dmid} as a number when it is written as a long is ({@code 0}, or digits without a leading
 *                   zero, at most {@link Long#MAX_VALUE}), else -1: the deduper's key, parsed once with the fields
 *                   ({@code PoolParser.Fields}); it must be {@link #plainDecimal}{@code (dmid)}, which the constructor
 *                   without it computes (checking it here would parse every id a second time, the cost it saves)
 */
public record PoolDanmaku(String dmid, long progressMs, int mode, int fontsize, long color, long ctime, int pool,
    String senderHash, String text, String rawP, long dmidValue) {

  public PoolDanmaku(String dmid, long progressMs, int mode, int fontsize, long color, long ctime, int pool,
      String senderHash, String text, String rawP) {
    this(dmid, progressMs, mode, fontsize, color, ctime, pool, senderHash, text, rawP, plainDecimal(dmid));
  }

  /** The value of an id written as a long is written ({@code 0}, or digits without a leading zero), else -1. */
  static long plainDecimal(String id) {
    int n = id.length();
    if (n == 0 || n > 19 || (id.charAt(0) == '0' && n > 1)) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < n; i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
      if (value < 0) {
        // Past Long.MAX_VALUE (only 19 digits can get there).
        return -1;
      }
    }
    return value;
  }
}
