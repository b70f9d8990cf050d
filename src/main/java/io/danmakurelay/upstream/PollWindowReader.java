package io.danmakurelay.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The usual poll answer ({@code {"code":0,...,"data":{"room":[...],"admin":[...]}}}) read in one pass of a
 * streaming parser: each item's fields are read where they stand and its bytes are cut out of the body as its
 * {@code raw}, so no tree of the answer is built (that, and serialising every item's tree again into its record
 * value, were the largest share of the relay's CPU per message). Fields no message needs are skipped unread.
 *
 * <p>It answers only what it is sure the tree-based {@link PayloadParser} path would answer alike: anything
 * unusual (a code other than the number 0, a duplicate top-level or list key, a list or item of the wrong type,
 * a field that must be a string or an integer and is not, a fractional number in those fields, a timeline that is
 * not {@code yyyy-MM-dd HH:mm:ss} without {@code check_info.ts}, comments, trailing tokens, a body that does not
 * start with {@code {}) gives null, and the general path decides, with its reasons.
 */
final class PollWindowReader {

  private static final JsonFactory FACTORY = new JsonFactory();

  private PollWindowReader() {}

  /** Both windows of a code-0 answer, or null when the general path must decide. */
  static PollResult.Success read(Buffer body) {
    if (body == null || body.length() < 2 || body.getByte(0) != '{') {
      // The first byte '{' also means UTF-8 without a byte order mark: the byte offsets below are UTF-8 bytes.
      return null;
    }
    byte[] bytes = body.getBytes();
    if (!Utf8.valid(bytes)) {
      // Jackson checks the UTF-8 of what it decodes, not of the fields it skips, and raw is cut from the bytes: an
      // answer that is not UTF-8 throughout goes to the general path, which decodes it as text (U+FFFD for bad bytes).
      return null;
    }
    try (JsonParser parser = FACTORY.createParser(bytes)) {
      return answer(parser, bytes);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static PollResult.Success answer(JsonParser p, byte[] bytes) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    boolean sawCode = false;
    boolean codeZero = false;
    boolean sawData = false;
    List<Danmaku> room = List.of();
    List<Danmaku> admin = List.of();
    JsonToken token;
    while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if ("code".equals(name)) {
        if (sawCode) {
          return null;
        }
        sawCode = true;
        codeZero = value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
            && p.getLongValue() == 0;
        p.skipChildren();
      } else if ("data".equals(name)) {
        if (sawData || value != JsonToken.START_OBJECT) {
          return null;
        }
        sawData = true;
        boolean sawRoom = false;
        boolean sawAdmin = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String list = p.currentName();
          JsonToken listValue = p.nextToken();
          if (DanmakuList.ROOM.wireName().equals(list)) {
            if (sawRoom || (room = list(p, listValue, bytes, DanmakuList.ROOM)) == null) {
              return null;
            }
            sawRoom = true;
          } else if (DanmakuList.ADMIN.wireName().equals(list)) {
            if (sawAdmin || (admin = list(p, listValue, bytes, DanmakuList.ADMIN)) == null) {
              return null;
            }
            sawAdmin = true;
          } else {
            p.skipChildren();
          }
        }
      } else {
        p.skipChildren();
      }
    }
    if (token != JsonToken.END_OBJECT || p.nextToken() != null || !codeZero || !sawData) {
      return null;
    }
    return new PollResult.Success(room, admin);
  }

  /** One list (null as JSON means empty, as in the general path), or null when the general path must decide. */
  private static List<Danmaku> list(JsonParser p, JsonToken value, byte[] bytes, DanmakuList list) throws IOException {
    if (value == JsonToken.VALUE_NULL) {
      return List.of();
    }
    if (value != JsonToken.START_ARRAY) {
      return null;
    }
    List<Danmaku> items = new ArrayList<>(10);
    JsonToken token;
    while ((token = p.nextToken()) == JsonToken.START_OBJECT) {
      Danmaku item = item(p, bytes, list);
      if (item == null) {
        return null;
      }
      items.add(item);
    }
    return token == JsonToken.END_ARRAY ? items : null;
  }

  /**
   * One item, the parser on its START_OBJECT; null when it is not what the general path accepts (which then
   * names what is wrong). A field given twice counts as its last occurrence, like the tree's map.
   */
  private static Danmaku item(JsonParser p, byte[] bytes, DanmakuList list) throws IOException {
    long start = p.currentTokenLocation().getByteOffset();
    String text = null;
    Long uid = null;
    String nickname = "";
    String timeline = null;
    Long checkTs = null;
    String checkCt = null;
    String idStr = null;
    String rnd = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_NUMBER_FLOAT && isRead(name)) {
        // The tree holds a Double here, whose integral or decimal reading the general path decides.
        return null;
      }
      switch (name) {
        case "text" -> text = value == JsonToken.VALUE_STRING ? p.getText() : null;
        case "uid" -> uid = integral(p, value);
        case "nickname" -> nickname = value == JsonToken.VALUE_STRING ? p.getText() : "";
        case "timeline" -> timeline = value == JsonToken.VALUE_STRING ? p.getText() : null;
        case "id_str" -> idStr = scalarText(p, value);
        case "rnd" -> rnd = scalarText(p, value);
        case "check_info" -> {
          checkTs = null;
          checkCt = null;
          if (value == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String field = p.currentName();
              JsonToken v = p.nextToken();
              if ("ts".equals(field)) {
                if (v == JsonToken.VALUE_NUMBER_FLOAT) {
                  return null;
                }
                checkTs = integral(p, v);
              } else if ("ct".equals(field)) {
                checkCt = v == JsonToken.VALUE_STRING ? p.getText() : null;
              }
              p.skipChildren();
            }
            continue;
          }
        }
        default -> {
          // Nothing a message needs: skipped below without reading it.
        }
      }
      // An object or array (where a scalar was expected, or a field nobody reads) is skipped whole; on a scalar
      // this does nothing.
      p.skipChildren();
    }
    long end = p.currentLocation().getByteOffset();
    if (text == null || uid == null || timeline == null || start < 0 || end <= start || end > bytes.length) {
      return null;
    }
    if (checkTs != null && (checkTs <= 0 || checkTs > PayloadParser.MAX_EPOCH_SECONDS)) {
      checkTs = null;
    }
    long ts;
    if (checkTs != null) {
      ts = checkTs * 1000;
    } else {
      Long fromTimeline = PayloadParser.timelineMillis(timeline);
      if (fromTimeline == null) {
        return null;
      }
      ts = fromTimeline;
    }
    return new Danmaku(list, text, uid, nickname, timeline, ts, idStr, rnd == null ? "" : rnd, checkCt, null,
        Arrays.copyOfRange(bytes, (int) start, (int) end));
  }

  /** The scalar fields this reader interprets (a float in one of them sends the answer to the general path). */
  private static boolean isRead(String name) {
    return switch (name) {
      case "text", "uid", "nickname", "timeline", "id_str", "rnd" -> true;
      default -> false;
    };
  }

  /** What {@link PayloadParser#integral} gives for the tree's value of this token (floats excluded). */
  private static Long integral(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_NUMBER_INT) {
      return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? null : p.getLongValue();
    }
    if (value == JsonToken.VALUE_STRING) {
      return PayloadParser.integral(p.getText());
    }
    return null;
  }

  /** What the general path's {@code scalarText} gives for the tree's value of this token (floats excluded). */
  private static String scalarText(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (value == JsonToken.VALUE_NUMBER_INT) {
      return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          ? p.getBigIntegerValue().toString() : Long.toString(p.getLongValue());
    }
    return null;
  }
}
