package io.danmakurelay.video;

/**
 * The aid → bvid mapping Bilibili used when it introduced BV ids (av2 is {@code BV1xx411c7mD}), valid for the
 * aids it was designed for (below 2^29); past that the mapping changed, and the bvid is unknown unless the
 * user gave it.
 */
public final class Bvid {

  private static final String TABLE = "fZodR9XQDSUm21yCkr6zBqiveYah8bt4xsWpHnJE7jL5VG3guMTKNPAwcF";
  private static final int[] POSITIONS = {11, 10, 3, 8, 4, 6};
  private static final long XOR = 177451812L;
  private static final long ADD = 8728348608L;
  static final long MAX_AID = (1L << 29) - 1;

  private Bvid() {}

  /** The bvid of {@code aid}, or null when the classic mapping does not cover it. */
  public static String fromAid(long aid) {
    if (aid <= 0 || aid > MAX_AID) {
      return null;
    }
    long x = (aid ^ XOR) + ADD;
    char[] out = "BV1  4 1 7  ".toCharArray();
    long power = 1;
    for (int position : POSITIONS) {
      out[position] = TABLE.charAt((int) (x / power % 58));
      power *= 58;
    }
    return new String(out);
  }
}
