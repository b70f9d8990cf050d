package io.danmakurelay.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.NumberOutput;
import com.fasterxml.jackson.core.io.SerializedString;
import io.danmakurelay.pipeline.FieldMap;
import io.danmakurelay.pipeline.RawJson;
import io.danmakurelay.pipeline.VideoDanmakuValue;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes a batch's record values to UTF-8 JSON: the same bytes as {@link JsonObject#toBuffer()} (Vert.x's own
 * encoding of its JSON types, Jackson's {@code UTF8JsonGenerator} with its default features). A video pool's danmaku
 * ({@link VideoDanmakuValue}) is written straight from its fields into one byte buffer, and a value on a
 * {@link FieldMap} of strings, integers and raw bytes (a polled message) from its map; a video part's
 * {@link FieldMap#head() head} (cid, aid, bvid, page) is encoded once per batch. Any other value goes through one
 * streaming generator for the whole batch, without the object mapper's per-value serializer provider and buffer pool. A {@link RawJson} inside a value (a polled item's bytes as received) is written as its
 * bytes. Not thread-safe: one per batch.
 */
final class JsonEncoder {

  private static final JsonFactory FACTORY = new JsonFactory();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
  private final JsonGenerator generator;

  JsonEncoder() {
    try {
      generator = FACTORY.createGenerator(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Values are separate documents: no separator between them.
    generator.setRootValueSeparator(null);
  }

  /** Field names seen before, UTF-8 encoded and quoted once (record values share a few dozen names). */
  private static final ConcurrentHashMap<String, SerializedString> NAMES = new ConcurrentHashMap<>();
  private static final int MAX_NAMES = 4096;

  byte[] encode(JsonObject value) {
    Map<String, Object> map = value.getMap();
    if (map instanceof VideoDanmakuValue video) {
      if (video.builtFields() == null) {
        byte[] direct = videoDanmaku(video);
        if (direct != null) {
          return direct;
        }
      }
      // Read or changed as a map since it was made (or on a head of odd types): that map is the value.
      map = video.asFieldMap();
    }
    if (map instanceof FieldMap fields) {
      byte[] direct = direct(fields);
      if (direct != null) {
        return direct;
      }
    }
    out.reset();
    try {
      write(map);
      generator.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The common types of record values directly; anything else as Vert.x encodes it. */
  private void write(Map<String, Object> map) throws IOException {
    generator.writeStartObject();
    if (map instanceof FieldMap fields) {
      for (int i = 0; i < fields.size(); i++) {
        generator.writeFieldName(name(fields.nameAt(i)));
        value(fields.valueAt(i));
      }
    } else {
      for (Map.Entry<String, Object> e : map.entrySet()) {
        generator.writeFieldName(name(e.getKey()));
        value(e.getValue());
      }
    }
    generator.writeEndObject();
  }

  private void value(Object v) throws IOException {
    if (v instanceof String s) {
      generator.writeString(s);
    } else if (v instanceof Long l) {
      generator.writeNumber(l);
    } else if (v instanceof Integer i) {
      generator.writeNumber(i);
    } else if (v instanceof JsonObject o) {
      write(o.getMap() instanceof VideoDanmakuValue video ? video.asFieldMap() : o.getMap());
    } else if (v instanceof JsonArray a) {
      // A video part's state holds a pool's worth of ids, a room's dedupe state (one per room per transaction) a few
      // dozen small arrays. Strings and numbers are read from the list as stored: JsonArray.getValue wraps each
      // element (JsonUtil.wrapJsonValue, a chain of interface checks), 11 % of the relay's samples at the pipeline
      // benchmark; it changes nothing for these types, so anything else still goes through it.
      List<Object> list = a.getList();
      generator.writeStartArray();
      for (int i = 0; i < list.size(); i++) {
        Object element = list.get(i);
        if (element instanceof String || element instanceof Long || element instanceof Integer) {
          value(element);
        } else {
          value(a.getValue(i));
        }
      }
      generator.writeEndArray();
    } else if (v instanceof RawJson raw) {
      // Bytes that already are one JSON value (an upstream item as received): the generator writes the
      // separator before a value, then its buffer goes out ahead of the bytes written in place.
      generator.writeRawValue("");
      generator.flush();
      out.write(raw.bytes());
    } else if (v == null) {
      generator.writeNull();
    } else {
      JacksonCodec.encodeJson(v, generator);
    }
  }

  private static SerializableString name(String key) {
    SerializedString known = NAMES.get(key);
    if (known != null) {
      return known;
    }
    SerializedString name = new SerializedString(key);
    if (NAMES.size() < MAX_NAMES) {
      // Names are few and fixed in practice; the bound keeps a stream of odd keys from growing the cache.
      NAMES.putIfAbsent(key, name);
    }
    return name;
  }

  // ---- the direct path: Jackson's output, byte for byte, for strings, longs and ints (and raw bytes as they are) ----

  /**
   * Jackson's escapes for ASCII ({@code CharTypes.get7BitOutputEscapes()}): 0 none, a letter for the two-character
   * escapes, -1 for a six-character escape (backslash, u, four hex digits).
   */
  private static final int[] ESCAPES = new int[128];
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  static {
    for (int c = 0; c < 0x20; c++) {
      ESCAPES[c] = -1;
    }
    ESCAPES['\b'] = 'b';
    ESCAPES['\t'] = 't';
    ESCAPES['\f'] = 'f';
    ESCAPES['\n'] = 'n';
    ESCAPES['\r'] = 'r';
    ESCAPES['"'] = '"';
    ESCAPES['\\'] = '\\';
  }

  private byte[] buf = new byte[1024];
  private int len;
  private char[] chars = new char[256];
  private FieldMap.Head lastHead;
  /** {@code {"cid":..,"aid":..,"bvid":"..","page":..} without its closing brace, for {@link #lastHead}. */
  private byte[] lastHeadBytes;

  /**
   * The value's bytes, or null when it holds a type this path does not write (the generator does). The types are
   * checked before anything is written, so that such a value costs one pass over its fields, not a partial encoding
   * thrown away.
   */
  private byte[] direct(FieldMap fields) {
    for (int i = 0; i < fields.size(); i++) {
      if (!directType(fields.valueAt(i))) {
        return null;
      }
    }
    len = 0;
    FieldMap.Head head = fields.head();
    int from = 0;
    if (head != null && head == lastHead && lastHeadBytes != null) {
      ensure(lastHeadBytes.length);
      System.arraycopy(lastHeadBytes, 0, buf, 0, lastHeadBytes.length);
      len = lastHeadBytes.length;
      from = head.size();
    } else {
      ensure(1);
      buf[len++] = '{';
      if (head != null) {
        // The first value on this head: its fields are this value's first ones.
        lastHead = head;
        fieldsDirect(fields, 0, head.size());
        lastHeadBytes = Arrays.copyOf(buf, len);
        from = head.size();
      }
    }
    fieldsDirect(fields, from, fields.size());
    ensure(1);
    buf[len++] = '}';
    return Arrays.copyOf(buf, len);
  }

  private static boolean directType(Object v) {
    return v == null || v instanceof String || v instanceof Long || v instanceof Integer || v instanceof RawJson;
  }

  /** Fields {@code [from, to)}, every value of a {@link #directType}. */
  private void fieldsDirect(FieldMap fields, int from, int to) {
    for (int i = from; i < to; i++) {
      fieldDirect(i, fields.nameAt(i), fields.valueAt(i));
    }
  }

  /** Field {@code i} (comma first unless it is the first), its value of a {@link #directType}. */
  private void fieldDirect(int i, String fieldName, Object v) {
    byte[] name = quotedName(i, fieldName);
    ensure(name.length + 4);
    if (i > 0) {
      buf[len++] = ',';
    }
    buf[len++] = '"';
    System.arraycopy(name, 0, buf, len, name.length);
    len += name.length;
    buf[len++] = '"';
    buf[len++] = ':';
    if (v instanceof String str) {
      string(str, 0, str.length());
    } else if (v instanceof Long l) {
      number(l);
    } else if (v instanceof Integer n) {
      number(n);
    } else if (v instanceof RawJson raw) {
      // Already one JSON value (a polled item's bytes as received): copied as the generator path writes it.
      byte[] bytes = raw.bytes();
      ensure(bytes.length);
      System.arraycopy(bytes, 0, buf, len, bytes.length);
      len += bytes.length;
    } else {
      ensure(4);
      buf[len++] = 'n';
      buf[len++] = 'u';
      buf[len++] = 'l';
      buf[len++] = 'l';
    }
  }

  /** {@code ,"name":} for each field of a {@link VideoDanmakuValue} after its head. */
  private static final byte[][] VIDEO_NAMES = new byte[VideoDanmakuValue.SHAPE.size()][];

  static {
    for (int i = VideoDanmakuValue.HEAD_SIZE; i < VIDEO_NAMES.length; i++) {
      byte[] quoted = name(VideoDanmakuValue.SHAPE.nameAt(i)).asQuotedUTF8();
      byte[] field = new byte[quoted.length + 4];
      field[0] = ',';
      field[1] = '"';
      System.arraycopy(quoted, 0, field, 2, quoted.length);
      field[quoted.length + 2] = '"';
      field[quoted.length + 3] = ':';
      VIDEO_NAMES[i] = field;
    }
  }

  /** The last {@code fetched_at} of a video danmaku written, and its digits (a read's values share one). */
  private long lastFetchedAt;
  private byte[] lastFetchedAtDigits;

  /**
   * A video danmaku's value straight from its fields, as {@link #direct} writes the same fields in a map; null when
   * its head holds a type this path does not write.
   */
  private byte[] videoDanmaku(VideoDanmakuValue v) {
    FieldMap.Head head = v.part();
    len = 0;
    if (head == lastHead && lastHeadBytes != null) {
      ensure(lastHeadBytes.length);
      System.arraycopy(lastHeadBytes, 0, buf, 0, lastHeadBytes.length);
      len = lastHeadBytes.length;
    } else {
      for (int i = 0; i < head.size(); i++) {
        if (!directType(head.valueAt(i))) {
          return null;
        }
      }
      ensure(1);
      buf[len++] = '{';
      for (int i = 0; i < head.size(); i++) {
        fieldDirect(i, head.nameAt(i), head.valueAt(i));
      }
      lastHead = head;
      lastHeadBytes = Arrays.copyOf(buf, len);
    }
    String raw = v.raw();
    boolean plain = v.plainRaw();
    fieldName(4);
    String dmid = v.dmidString();
    if (dmid != null) {
      string(dmid, 0, dmid.length());
    } else {
      // Digits the parser checked.
      plainAscii(raw, v.dmidFrom(), v.dmidTo());
    }
    fieldName(5);
    number(v.progressMs());
    fieldName(6);
    number(v.mode());
    fieldName(7);
    number(v.fontsize());
    fieldName(8);
    number(v.color());
    fieldName(9);
    number(v.ctime());
    fieldName(10);
    number(v.pool());
    fieldName(11);
    String hash = v.senderHashString();
    if (hash != null) {
      string(hash, 0, hash.length());
    } else if (plain) {
      plainAscii(raw, v.hashFrom(), v.hashTo());
    } else {
      string(raw, v.hashFrom(), v.hashTo());
    }
    fieldName(12);
    String text = v.text();
    if (text != null) {
      string(text, 0, text.length());
    } else {
      ensure(4);
      buf[len++] = 'n';
      buf[len++] = 'u';
      buf[len++] = 'l';
      buf[len++] = 'l';
    }
    fieldName(13);
    long fetchedAt = v.fetchedAt();
    if (lastFetchedAtDigits != null && fetchedAt == lastFetchedAt) {
      ensure(lastFetchedAtDigits.length);
      System.arraycopy(lastFetchedAtDigits, 0, buf, len, lastFetchedAtDigits.length);
      len += lastFetchedAtDigits.length;
    } else {
      int from = len;
      number(fetchedAt);
      lastFetchedAt = fetchedAt;
      lastFetchedAtDigits = Arrays.copyOfRange(buf, from, len);
    }
    fieldName(14);
    if (plain) {
      plainAscii(raw, 0, raw.length());
    } else {
      string(raw, 0, raw.length());
    }
    ensure(1);
    buf[len++] = '}';
    return Arrays.copyOf(buf, len);
  }

  private void fieldName(int i) {
    byte[] name = VIDEO_NAMES[i];
    ensure(name.length);
    System.arraycopy(name, 0, buf, len, name.length);
    len += name.length;
  }

  /** The name bytes last written at each field position: values built alike hold the same String objects. */
  private final String[] namesAt = new String[32];
  private final byte[][] nameBytesAt = new byte[32][];

  private byte[] quotedName(int position, String name) {
    if (position >= namesAt.length) {
      return name(name).asQuotedUTF8();
    }
    if (namesAt[position] != name) {
      namesAt[position] = name;
      nameBytesAt[position] = name(name).asQuotedUTF8();
    }
    return nameBytesAt[position];
  }

  /** {@code s[from, to)}, each character printable ASCII that needs no escape, as a JSON string: its bytes in quotes. */
  @SuppressWarnings("deprecation")
  private void plainAscii(String s, int from, int to) {
    int n = to - from;
    ensure(n + 2);
    byte[] b = buf;
    b[len++] = '"';
    // Each char's low byte: exact for ASCII, an array copy for a Latin-1 String.
    s.getBytes(from, to, b, len);
    len += n;
    b[len++] = '"';
  }

  /**
   * {@code s[from, to)} as a JSON string as Jackson writes it: its escapes, UTF-8 for the rest, each surrogate as a
   * six-character escape.
   */
  @SuppressWarnings("deprecation")
  private void string(String s, int from, int to) {
    int n = to - from;
    if (chars.length < n) {
      chars = new char[Math.max(n, chars.length * 2)];
    }
    s.getChars(from, to, chars, 0);
    ensure(n * 6 + 2);
    byte[] b = buf;
    int at = len;
    b[at++] = '"';
    // Most strings of a record value (raw p, hashes, ids, many texts) are plain ASCII that needs no escape: the run of
    // such characters is found in a tight pass over the chars and copied at once (String.getBytes(int, int, byte[],
    // int) keeps each char's low byte, exact for ASCII, an array copy for a Latin-1 string); the rest, from the first
    // character of 0x80 or more or one that Jackson escapes, goes through the loop below.
    int plain = 0;
    while (plain < n) {
      char c = chars[plain];
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        break;
      }
      plain++;
    }
    s.getBytes(from, from + plain, b, at);
    at += plain;
    for (int i = plain; i < n; i++) {
      char c = chars[i];
      if (c < 0x80) {
        int escape = ESCAPES[c];
        if (escape == 0) {
          b[at++] = (byte) c;
        } else {
          b[at++] = '\\';
          if (escape > 0) {
            b[at++] = (byte) escape;
          } else {
            b[at++] = 'u';
            b[at++] = '0';
            b[at++] = '0';
            b[at++] = HEX[c >> 4];
            b[at++] = HEX[c & 0xF];
          }
        }
      } else if (c < 0x800) {
        b[at++] = (byte) (0xC0 | (c >> 6));
        b[at++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isSurrogate(c)) {
        // Jackson 2.18 without COMBINE_UNICODE_SURROGATES_IN_UTF8 (off by default): every surrogate escaped.
        b[at++] = '\\';
        b[at++] = 'u';
        b[at++] = HEX[c >> 12];
        b[at++] = HEX[(c >> 8) & 0xF];
        b[at++] = HEX[(c >> 4) & 0xF];
        b[at++] = HEX[c & 0xF];
      } else {
        b[at++] = (byte) (0xE0 | (c >> 12));
        b[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[at++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    b[at++] = '"';
    len = at;
  }

  private void number(long v) {
    ensure(20);
    // Jackson's own digits (what UTF8JsonGenerator.writeNumber calls).
    len = NumberOutput.outputLong(v, buf, len);
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(len + more, buf.length * 2));
    }
  }
}
