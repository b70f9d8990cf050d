package io.danmakurelay.video;

import io.danmakurelay.pipeline.FieldMap;
import io.danmakurelay.pipeline.VideoDanmakuValue;
import java.util.Objects;

/**
 * One {@code <d p="...">text</d>} of a pool, every field of {@code p} checked (SPEC §1c). A value with a record's
 * accessors, equality and string form. As the parser reads it ({@code PoolParser.Fields}), the dmid and sender hash are
 * kept as where they stand in {@code rawP}, not as substrings of their own (a pool has thousands of items, and a read
 * publishes each id as it stands in {@code p}): {@link #dmid()} and {@link #senderHash()} cut them when asked, and its
 * record value ({@link #recordValue}) carries them as those places; and the parser's pass over {@code p} tells whether
 * all of it is printable ASCII that JSON does not escape (the usual {@code p}), which the record value passes on to the
 * encoder.
 */
public final class PoolDanmaku {

  private final String rawP;
  /** Field 8 as a String, or null when it is {@code rawP[dmidFrom, dmidTo)}. */
  private final String dmid;
  /** Field 7 as a String, or null when it is {@code rawP[hashFrom, hashTo)}. */
  private final String senderHash;
  private final int dmidFrom;
  private final int dmidTo;
  private final int hashFrom;
  private final int hashTo;
  private final long progressMs;
  private final int mode;
  private final int fontsize;
  private final long color;
  private final long ctime;
  private final int pool;
  private final String text;
  private final long dmidValue;
  /** Whether the parser found every character of {@link #rawP} printable ASCII that JSON writes as it is. */
  private final boolean plainP;

  /**
   * @param dmid       field 8, the danmaku's unique id (digits)
   * @param progressMs field 1, where in the video it appears, in ms
   * @param rawP       the {@code p} attribute exactly as received
   * @param dmidValue  {@code dmid} as a number when it is written as a long is ({@code 0}, or digits without a leading
   *                   zero, at most {@link Long#MAX_VALUE}), else -1: the deduper's key, parsed once with the fields
   *                   ({@code PoolParser.Fields}); it must be {@link #plainDecimal}{@code (dmid)}, which the
   *                   constructor without it computes (checking it here would parse every id a second time, the cost
   *                   it saves)
   */
  public PoolDanmaku(String dmid, long progressMs, int mode, int fontsize, long color, long ctime, int pool,
      String senderHash, String text, String rawP, long dmidValue) {
    this(Objects.requireNonNull(dmid, "dmid"), -1, -1, progressMs, mode, fontsize, color, ctime, pool,
        Objects.requireNonNull(senderHash, "senderHash"), -1, -1, text, rawP, dmidValue, false);
  }

  public PoolDanmaku(String dmid, long progressMs, int mode, int fontsize, long color, long ctime, int pool,
      String senderHash, String text, String rawP) {
    this(dmid, progressMs, mode, fontsize, color, ctime, pool, senderHash, text, rawP, plainDecimal(dmid));
  }

  /**
   * As the parser reads it: the dmid at {@code rawP[dmidFrom, dmidTo)} (its digits checked), the sender hash at
   * {@code [hashFrom, hashTo)}; {@code plainP}: every character of {@code rawP} was found within {@code 0x20..0x7F}
   * and neither {@code "} nor {@code \}.
   */
  static PoolDanmaku inP(String rawP, int dmidFrom, int dmidTo, long progressMs, int mode, int fontsize, long color,
      long ctime, int pool, int hashFrom, int hashTo, String text, long dmidValue, boolean plainP) {
    return new PoolDanmaku(null, dmidFrom, dmidTo, progressMs, mode, fontsize, color, ctime, pool, null, hashFrom,
        hashTo, text, rawP, dmidValue, plainP);
  }

  private PoolDanmaku(String dmid, int dmidFrom, int dmidTo, long progressMs, int mode, int fontsize, long color,
      long ctime, int pool, String senderHash, int hashFrom, int hashTo, String text, String rawP, long dmidValue,
      boolean plainP) {
    this.plainP = plainP;
    this.dmid = dmid;
    this.dmidFrom = dmidFrom;
    this.dmidTo = dmidTo;
    this.progressMs = progressMs;
    this.mode = mode;
    this.fontsize = fontsize;
    this.color = color;
    this.ctime = ctime;
    this.pool = pool;
    this.senderHash = senderHash;
    this.hashFrom = hashFrom;
    this.hashTo = hashTo;
    this.text = text;
    this.rawP = rawP;
    this.dmidValue = dmidValue;
  }

  /** Field 8, the danmaku's unique id (digits). */
  public String dmid() {
    return dmid != null ? dmid : rawP.substring(dmidFrom, dmidTo);
  }

  public long progressMs() {
    return progressMs;
  }

  public int mode() {
    return mode;
  }

  public int fontsize() {
    return fontsize;
  }

  public long color() {
    return color;
  }

  public long ctime() {
    return ctime;
  }

  public int pool() {
    return pool;
  }

  /** Field 7, the crc32 of the sender's uid in hex. */
  public String senderHash() {
    return senderHash != null ? senderHash : rawP.substring(hashFrom, hashTo);
  }

  public String text() {
    return text;
  }

  /** The {@code p} attribute exactly as received. */
  public String rawP() {
    return rawP;
  }

  /**
   * This danmaku's record value (SPEC §4) on its part's {@code head}, fetched at {@code fetchedAt}: the fields as they
   * are here, the dmid and hash as their places in {@code rawP} when the parser read them so.
   */
  public VideoDanmakuValue recordValue(FieldMap.Head head, long fetchedAt) {
    if (dmid != null) {
      return VideoDanmakuValue.of(head, dmid, progressMs, mode, fontsize, color, ctime, pool, senderHash, text,
          fetchedAt, rawP);
    }
    return VideoDanmakuValue.inRaw(head, rawP, dmidFrom, dmidTo, progressMs, mode, fontsize, color, ctime, pool,
        hashFrom, hashTo, text, fetchedAt, plainP);
  }

  /** The dmid as a number when it is written as a long is, else -1 (see the constructor). */
  public long dmidValue() {
    return dmidValue;
  }

  /** Equal when every field is (as a record of them would be), however the dmid and hash are kept. */
  @Override
  public boolean equals(Object other) {
    return other instanceof PoolDanmaku d && progressMs == d.progressMs && mode == d.mode && fontsize == d.fontsize
        && color == d.color && ctime == d.ctime && pool == d.pool && dmidValue == d.dmidValue
        && dmid().equals(d.dmid()) && senderHash().equals(d.senderHash()) && Objects.equals(text, d.text)
        && Objects.equals(rawP, d.rawP);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dmid(), progressMs, mode, fontsize, color, ctime, pool, senderHash(), text, rawP, dmidValue);
  }

  @Override
  public String toString() {
    return "PoolDanmaku[dmid=" + dmid() + ", progressMs=" + progressMs + ", mode=" + mode + ", fontsize=" + fontsize
        + ", color=" + color + ", ctime=" + ctime + ", pool=" + pool + ", senderHash=" + senderHash() + ", text="
        + text + ", rawP=" + rawP + ", dmidValue=" + dmidValue + "]";
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
