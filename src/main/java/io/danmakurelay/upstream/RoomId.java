package io.danmakurelay.upstream;

/**
 * The one rule for a room id given by a user, in config, the room API, a URL path or a WebSocket frame: a
 * positive integer below 10^15, as an integral JSON number or a string of decimal digits (no sign, no
 * spaces, no exponent).
 */
public final class RoomId {

  /** Bilibili's room ids are far below this; anything longer is not a room id. */
  public static final long MAX = 999_999_999_999_999L;

  private RoomId() {}

  /** The id, or an {@link IllegalArgumentException} whose message says what is wrong. */
  public static long parse(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      long id = ((Number) value).longValue();
      if (id >= 1 && id <= MAX) {
        return id;
      }
    } else if (value instanceof String s && s.matches("[0-9]{1,15}")) {
      long id = Long.parseLong(s);
      if (id >= 1) {
        return id;
      }
    }
    throw new IllegalArgumentException("a room id must be a positive integer, got " + describe(value));
  }

  /** The id, or -1 when the value is not one. */
  public static long parseOrNegative(Object value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  private static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    String text = value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    return text.length() > 60 ? text.substring(0, 60) + "…" : text;
  }
}
