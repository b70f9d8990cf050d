package io.danmakurelay.push;

/**
 * A push frame that cannot be read, with the reason sorted into a {@link Kind}. Carries no stack trace:
 * bad input from the upstream is expected and is counted and logged as one line, never as a stack.
 */
public final class PacketException extends Exception {

  /** Why a frame was refused; the wire name labels the metric. */
  public enum Kind {
    TRUNCATED("truncated"),
    LENGTH_OVER_FRAME("length_over_frame"),
    BAD_HEADER_LENGTH("bad_header_length"),
    UNKNOWN_VERSION("unknown_version"),
    INFLATE_FAILED("inflate_failed"),
    TOO_LARGE("too_large"),
    NOT_JSON("not_json");

    private final String wireName;

    Kind(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }
  }

  private final Kind kind;

  public PacketException(Kind kind, String message) {
    super(kind.wireName() + ": " + message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
