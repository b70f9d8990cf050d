package io.danmakurelay.sim;

import java.time.LocalDateTime;
import java.time.ZoneOffset;

/** Formats epoch milliseconds as the upstream's {@code timeline}: "yyyy-MM-dd HH:mm:ss" in UTC+8, no zone marker. */
final class Timeline {

  private static final ZoneOffset BEIJING = ZoneOffset.ofHours(8);

  private Timeline() {}

  static String format(long epochMs) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(epochMs, 1000L), 0, BEIJING);
    char[] out = new char[19];
    put(out, 0, t.getYear(), 4);
    out[4] = '-';
    put(out, 5, t.getMonthValue(), 2);
    out[7] = '-';
    put(out, 8, t.getDayOfMonth(), 2);
    out[10] = ' ';
    put(out, 11, t.getHour(), 2);
    out[13] = ':';
    put(out, 14, t.getMinute(), 2);
    out[16] = ':';
    put(out, 17, t.getSecond(), 2);
    return new String(out);
  }

  private static void put(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }
}
