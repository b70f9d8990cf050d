package io.danmakurelay.video;

import java.util.Locale;

/**
 * A video as a user names it (SPEC §1c): {@code av170001} or {@code 170001} (aid), {@code BV1xx411c7mD}
 * (bvid, resolved through {@code view}) or {@code ep114928} (bangumi episode). Parsing is strict: anything
 * else is refused with a message that says what is accepted.
 */
public record VideoId(Kind kind, long number, String bvid) {

  public enum Kind { AID, BVID, EPISODE }

  /** The message of every refusal: what a video id may look like. */
  public static final String EXPECTED = "a video id is av<aid>, <aid>, BV<10 characters> or ep<episode id>";

  private static final String BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  private static final long MAX_NUMBER = 999_999_999_999_999L;

  public VideoId {
    if (kind == null) {
      throw new IllegalArgumentException(EXPECTED);
    }
    if (kind == Kind.BVID ? bvid == null : number <= 0) {
      throw new IllegalArgumentException(EXPECTED);
    }
  }

  public static VideoId aid(long aid) {
    return new VideoId(Kind.AID, aid, null);
  }

  public static VideoId episode(long ep) {
    return new VideoId(Kind.EPISODE, ep, null);
  }

  /** Parses what a user, a config file or an API body gave (a string, or a JSON number for an aid). */
  public static VideoId parse(Object given) {
    if (given instanceof Number n) {
      if (n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() <= 0 || n.longValue() > MAX_NUMBER) {
        throw new IllegalArgumentException(EXPECTED + ", got " + n);
      }
      return aid(n.longValue());
    }
    if (!(given instanceof String raw)) {
      throw new IllegalArgumentException(EXPECTED + (given == null ? "" : ", got a " + given.getClass().getSimpleName()));
    }
    String text = raw.strip();
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.startsWith("bv")) {
      String body = text.substring(2);
      if (body.length() != 10 || !body.chars().allMatch(c -> BASE58.indexOf(c) >= 0)) {
        throw new IllegalArgumentException(EXPECTED + ", got " + shown(text));
      }
      return new VideoId(Kind.BVID, 0, "BV" + body);
    }
    if (lower.startsWith("av")) {
      return aid(digits(text.substring(2), text));
    }
    if (lower.startsWith("ep")) {
      return episode(digits(text.substring(2), text));
    }
    return aid(digits(text, text));
  }

  private static long digits(String digits, String whole) {
    if (digits.isEmpty() || digits.length() > 15 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(EXPECTED + ", got " + shown(whole));
    }
    long value = Long.parseLong(digits);
    if (value <= 0) {
      throw new IllegalArgumentException(EXPECTED + ", got " + shown(whole));
    }
    return value;
  }

  /** Bad ids are echoed in errors: cap them so a hostile one cannot flood a log line or an answer. */
  private static String shown(String text) {
    String capped = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return "\"" + capped.replaceAll("\\p{Cntrl}", "?") + "\"";
  }

  /** The canonical spelling: {@code av170001}, {@code BV1xx411c7mD}, {@code ep114928}. */
  public String canonical() {
    return switch (kind) {
      case AID -> "av" + number;
      case BVID -> bvid;
      case EPISODE -> "ep" + number;
    };
  }

  @Override
  public String toString() {
    return canonical();
  }
}
