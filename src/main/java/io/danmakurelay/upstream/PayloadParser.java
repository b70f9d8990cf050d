package io.danmakurelay.upstream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses upstream answers (both poll APIs and room_init) into values, classifying every failure.
 * Pure logic: never throws on bad input, and failure reasons are single-line and capped so that a
 * hostile or broken body never floods the logs.
 *
 * <p>Poll answers are all-or-nothing: when the structure is wrong (data not an object, a list not an
 * array, an item not an object, {@code text} or {@code timeline} not a string, {@code uid} not an integral
 * number or numeric string) the whole answer is a PARSE_ERROR, because publishing part of a garbage answer
 * would feed the deduper a window that does not match the upstream's. Absent optional fields take defaults,
 * and optional fields of the wrong type are treated as absent (the raw item still carries them). An empty
 * {@code data} ({@code {}}, or {@code []} as PHP encodes an empty map) and absent or null lists are empty
 * windows: a quiet room legitimately answers so. A code-0 answer without {@code data} at all is a
 * PARSE_ERROR: nothing says the room is quiet.
 */
public final class PayloadParser {

  /** Longest reason kept for logs; bodies can be whole HTML pages. */
  static final int MAX_REASON_CHARS = 200;

  private static final ZoneOffset BEIJING = ZoneOffset.ofHours(8);
  private static final DateTimeFormatter TIMELINE =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT).withResolverStyle(ResolverStyle.STRICT);
  /** Past this, {@code check_info.ts * 1000} would overflow; such a value is garbage, use the timeline. */
  static final long MAX_EPOCH_SECONDS = Long.MAX_VALUE / 1000;
  private static final String INVALID_ROOM_MARKER = "HistoryReq.Roomid";
  private static final int ROOM_NOT_FOUND_CODE = 60004;

  private PayloadParser() {}

  /** Parses a poll answer given its HTTP status, Content-Type header (may be null) and body. */
  public static PollResult parsePoll(int httpStatus, String contentType, Buffer body) {
    if (httpStatus == 412) {
      return riskFailure("HTTP 412 (risk control)");
    }
    // The usual answer (2xx, code 0) is read in one streaming pass over its bytes, each item's raw kept as its
    // bytes; the reader gives null for anything unusual, which the tree below decides (and words the reasons of).
    if (isSuccessStatus(httpStatus)) {
      PollResult.Success windows = PollWindowReader.read(body);
      if (windows != null) {
        return windows;
      }
    }
    return parsePollTree(httpStatus, contentType, body);
  }

  /** {@link #parsePoll} without the streaming reader: every answer through a tree (the reference it must match). */
  static PollResult parsePollTree(int httpStatus, String contentType, Buffer body) {
    if (httpStatus == 412) {
      return riskFailure("HTTP 412 (risk control)");
    }
    // A 2xx answer with code 0 is parsed straight from its bytes: decoding every body to a String first cost a
    // copy of each answer. Anything else goes the way of the text, which the failure reasons quote.
    if (isSuccessStatus(httpStatus)) {
      JsonObject json = parseObjectBytes(body);
      if (json != null && Long.valueOf(0).equals(integral(json.getValue("code")))) {
        return parseCodeZero(json);
      }
    }
    String text = bodyText(body);
    JsonObject json = parseObject(text);
    if (json != null && isRiskCode(json)) {
      return riskFailure("code " + codeText(json) + ": " + message(json));
    }
    if (!isSuccessStatus(httpStatus)) {
      if (mentionsInvalidRoom(json, text, httpStatus)) {
        return new PollResult.Failure(
            PollOutcome.API_ERROR, FailureKind.INVALID_ROOM, reason("HTTP " + httpStatus + ": " + describe(json, text)));
      }
      return new PollResult.Failure(
          PollOutcome.HTTP_ERROR, FailureKind.RETRY, reason("HTTP " + httpStatus + ": " + describe(json, text)));
    }
    if (json == null) {
      return parseFailure(notJsonReason(contentType, text));
    }
    Long code = integral(json.getValue("code"));
    if (code == null) {
      return parseFailure("no numeric code in answer: " + snippet(text));
    }
    if (code != 0) {
      FailureKind kind = mentionsInvalidRoom(json, text, httpStatus) ? FailureKind.INVALID_ROOM : FailureKind.RETRY;
      return new PollResult.Failure(PollOutcome.API_ERROR, kind, reason("code " + code + ": " + message(json)));
    }
    return parseCodeZero(json);
  }

  private static PollResult parseCodeZero(JsonObject json) {
    try {
      return parseWindows(json);
    } catch (BadPayload e) {
      return parseFailure(e.getMessage());
    } catch (RuntimeException e) {
      // Defensive: a JSON library surprise must still be a classified result, never an exception.
      return parseFailure("unexpected payload: " + e.getClass().getSimpleName());
    }
  }

  /** Parses a room_init answer. */
  public static RoomInitResult parseRoomInit(int httpStatus, String contentType, Buffer body) {
    String text = bodyText(body);
    if (httpStatus == 412) {
      return new RoomInitResult.Failed(PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL, "HTTP 412 (risk control)");
    }
    JsonObject json = parseObject(text);
    if (json != null && isRiskCode(json)) {
      return new RoomInitResult.Failed(
          PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL, reason("code " + codeText(json) + ": " + message(json)));
    }
    Long code = json == null ? null : integral(json.getValue("code"));
    if (code != null && code == ROOM_NOT_FOUND_CODE) {
      return new RoomInitResult.NotFound(reason("code " + code + ": " + message(json)));
    }
    if (!isSuccessStatus(httpStatus)) {
      return new RoomInitResult.Failed(
          PollOutcome.HTTP_ERROR, FailureKind.RETRY, reason("HTTP " + httpStatus + ": " + describe(json, text)));
    }
    if (json == null) {
      return new RoomInitResult.Failed(PollOutcome.PARSE_ERROR, FailureKind.RETRY, reason(notJsonReason(contentType, text)));
    }
    if (code == null) {
      return new RoomInitResult.Failed(
          PollOutcome.PARSE_ERROR, FailureKind.RETRY, reason("no numeric code in answer: " + snippet(text)));
    }
    if (code != 0) {
      return new RoomInitResult.Failed(PollOutcome.API_ERROR, FailureKind.RETRY, reason("code " + code + ": " + message(json)));
    }
    Object data = json.getValue("data");
    if (!(data instanceof JsonObject room)) {
      return new RoomInitResult.Failed(PollOutcome.PARSE_ERROR, FailureKind.RETRY, "room_init data is not an object");
    }
    Long realId = integral(room.getValue("room_id"));
    if (realId == null || realId <= 0) {
      return new RoomInitResult.Failed(PollOutcome.PARSE_ERROR, FailureKind.RETRY, "room_init without a valid room_id");
    }
    Long shortId = integral(room.getValue("short_id"));
    Long liveStatus = integral(room.getValue("live_status"));
    int status = liveStatus == null || liveStatus < Integer.MIN_VALUE || liveStatus > Integer.MAX_VALUE
        ? 0 : liveStatus.intValue();
    return new RoomInitResult.Resolved(realId, shortId == null || shortId < 0 ? 0 : shortId, status);
  }

  private static PollResult.Success parseWindows(JsonObject json) {
    if (!json.containsKey("data") || json.getValue("data") == null) {
      throw new BadPayload("code 0 answer without data");
    }
    Object data = json.getValue("data");
    if (data instanceof JsonArray array) {
      if (!array.isEmpty()) {
        throw new BadPayload("data is a non-empty array");
      }
      return new PollResult.Success(List.of(), List.of());
    }
    if (!(data instanceof JsonObject windows)) {
      throw new BadPayload("data is not an object");
    }
    return new PollResult.Success(parseList(windows, DanmakuList.ROOM), parseList(windows, DanmakuList.ADMIN));
  }

  private static List<Danmaku> parseList(JsonObject windows, DanmakuList list) {
    Object value = windows.getValue(list.wireName());
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray items)) {
      throw new BadPayload("data." + list.wireName() + " is not an array");
    }
    List<Danmaku> parsed = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      Object item = items.getValue(i);
      if (!(item instanceof JsonObject object)) {
        throw new BadPayload("data." + list.wireName() + "[" + i + "] is not an object");
      }
      parsed.add(parseItem(object, list, i));
    }
    return parsed;
  }

  private static Danmaku parseItem(JsonObject item, DanmakuList list, int index) {
    String where = "data." + list.wireName() + "[" + index + "]";
    if (!(item.getValue("text") instanceof String text)) {
      throw new BadPayload(where + ".text is not a string");
    }
    Long uid = integral(item.getValue("uid"));
    if (uid == null) {
      throw new BadPayload(where + ".uid is not an integral number");
    }
    if (!(item.getValue("timeline") instanceof String timeline)) {
      throw new BadPayload(where + ".timeline is not a string");
    }
    String nickname = item.getValue("nickname") instanceof String name ? name : "";
    Object checkInfo = item.getValue("check_info");
    Long checkTs = null;
    String checkCt = null;
    if (checkInfo instanceof JsonObject check) {
      checkTs = integral(check.getValue("ts"));
      if (checkTs != null && (checkTs <= 0 || checkTs > MAX_EPOCH_SECONDS)) {
        checkTs = null;
      }
      checkCt = check.getValue("ct") instanceof String ct ? ct : null;
    }
    long ts;
    if (checkTs != null) {
      ts = checkTs * 1000;
    } else {
      Long fromTimeline = timelineMillis(timeline);
      if (fromTimeline == null) {
        throw new BadPayload(where + ".timeline is not yyyy-MM-dd HH:mm:ss");
      }
      ts = fromTimeline;
    }
    return new Danmaku(list, text, uid, nickname, timeline, ts,
        scalarText(item.getValue("id_str")), nullToEmpty(scalarText(item.getValue("rnd"))), checkCt, item);
  }

  /** Epoch milliseconds of a Beijing-time timeline, or null when it is not one. */
  static Long timelineMillis(String timeline) {
    Long fast = plainTimelineMillis(timeline);
    if (fast != null) {
      return fast;
    }
    try {
      return LocalDateTime.parse(timeline, TIMELINE).toInstant(BEIJING).toEpochMilli();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * The usual {@code yyyy-MM-dd HH:mm:ss} read digit by digit (the formatter cost a visible share of a poll's CPU
   * on the legacy API, where every item is dated by its timeline), or null for anything else, which the strict
   * formatter then decides. LocalDateTime.of rejects what the strict resolver rejects (Feb 30, hour 24).
   */
  private static Long plainTimelineMillis(String t) {
    if (t.length() != 19 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != ' ' || t.charAt(13) != ':'
        || t.charAt(16) != ':') {
      return null;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 2);
    int day = digits(t, 8, 2);
    int hour = digits(t, 11, 2);
    int minute = digits(t, 14, 2);
    int second = digits(t, 17, 2);
    if ((year | month | day | hour | minute | second) < 0) {
      return null;
    }
    try {
      return LocalDateTime.of(year, month, day, hour, minute, second).toInstant(BEIJING).toEpochMilli();
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /** The decimal number of {@code length} ASCII digits at {@code from}, or -1 when one is not a digit. */
  private static int digits(String text, int from, int length) {
    int value = 0;
    for (int i = from; i < from + length; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  /** An integral number, or a string holding one, as a long; null for anything else or out of range. */
  static Long integral(Object value) {
    try {
      if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
        return ((Number) value).longValue();
      }
      if (value instanceof Number number) {
        return new BigDecimal(number.toString()).longValueExact();
      }
      if (value instanceof String string && !string.isBlank() && string.length() <= 40) {
        return new BigDecimal(string.trim()).longValueExact();
      }
    } catch (ArithmeticException | NumberFormatException e) {
      return null;
    }
    return null;
  }

  /** A string, or a number written out, for fields the upstream sends either way ({@code rnd}, {@code id_str}). */
  private static String scalarText(Object value) {
    if (value instanceof String string) {
      return string;
    }
    if (value instanceof Double || value instanceof Float) {
      return new BigDecimal(value.toString()).toPlainString();
    }
    if (value instanceof Number number) {
      return number.toString();
    }
    return null;
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  private static String bodyText(Buffer body) {
    return body == null ? "" : body.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The body's bytes as a JSON object, or null when they are not one (then the text path decides). */
  private static JsonObject parseObjectBytes(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The body as a JSON object, or null when it is not one (HTML, truncated, an array, garbage). */
  private static JsonObject parseObject(String text) {
    if (text.isBlank()) {
      return null;
    }
    try {
      return new JsonObject(text);
    } catch (RuntimeException e) {
      // DecodeException for malformed text, ClassCastException when the value is not an object.
      return null;
    }
  }

  private static boolean isSuccessStatus(int status) {
    return status >= 200 && status < 300;
  }

  private static boolean isRiskCode(JsonObject json) {
    Long code = integral(json.getValue("code"));
    // -509 ("请求过于频繁", too frequent) is the same signal as -412: this caller polls too fast.
    return code != null && (code == -412 || code == -352 || code == -509);
  }

  /**
   * Only an error answer can name the invalid room: a successful answer's text is user content, and a
   * viewer typing the marker must not get the room dropped. A non-JSON body counts only with a 4xx status.
   */
  private static boolean mentionsInvalidRoom(JsonObject json, String text, int status) {
    if (json != null) {
      return message(json).contains(INVALID_ROOM_MARKER);
    }
    return status >= 400 && status < 500 && text.contains(INVALID_ROOM_MARKER);
  }

  private static String message(JsonObject json) {
    Object message = json.getValue("message");
    Object msg = json.getValue("msg");
    String first = message instanceof String s && !s.isEmpty() ? s : null;
    String second = msg instanceof String s && !s.isEmpty() ? s : null;
    if (first == null && second == null) {
      return "(no message)";
    }
    if (first == null || second == null || first.equals(second)) {
      return first != null ? first : second;
    }
    return first + " / " + second;
  }

  private static String codeText(JsonObject json) {
    Long code = integral(json.getValue("code"));
    return code == null ? "?" : code.toString();
  }

  private static String describe(JsonObject json, String text) {
    if (json != null) {
      return json.containsKey("code") ? "code " + codeText(json) + ": " + message(json) : snippet(text);
    }
    return text.isEmpty() ? "(empty body)" : snippet(text);
  }

  private static String notJsonReason(String contentType, String text) {
    String type = contentType == null ? "no content type" : contentType;
    if (text.isBlank()) {
      return "empty body (" + type + ")";
    }
    return "not a JSON object (" + type + ", " + text.length() + " chars): " + snippet(text);
  }

  private static String snippet(String text) {
    if (text.length() <= 80) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(79)) ? 79 : 80;
    return text.substring(0, end) + "...";
  }

  private static PollResult.Failure riskFailure(String why) {
    return new PollResult.Failure(PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL, reason(why));
  }

  private static PollResult.Failure parseFailure(String why) {
    return new PollResult.Failure(PollOutcome.PARSE_ERROR, FailureKind.RETRY, reason(why));
  }

  /** One line of at most {@link #MAX_REASON_CHARS} characters, whatever the body held. */
  static String reason(String raw) {
    StringBuilder line = new StringBuilder(Math.min(raw.length(), MAX_REASON_CHARS + 1));
    boolean lastWasSpace = false;
    for (int i = 0; i < raw.length() && line.length() < MAX_REASON_CHARS; i++) {
      char c = raw.charAt(i);
      boolean space = Character.isWhitespace(c) || Character.isISOControl(c);
      if (space) {
        if (!lastWasSpace && line.length() > 0) {
          line.append(' ');
        }
      } else {
        line.append(c);
      }
      lastWasSpace = space;
    }
    String result = line.toString().strip();
    if (result.length() >= MAX_REASON_CHARS) {
      // Never cut a surrogate pair in half: the reason may end up in JSON logs.
      int end = MAX_REASON_CHARS - 3;
      if (Character.isHighSurrogate(result.charAt(end - 1))) {
        end--;
      }
      result = result.substring(0, end) + "...";
    }
    return result;
  }

  /** A structural problem in a code-0 answer; caught inside this class, never escapes. */
  private static final class BadPayload extends RuntimeException {
    BadPayload(String message) {
      super(message, null, false, false);
    }
  }
}
