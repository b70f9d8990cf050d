package io.danmakurelay.video;

import com.fasterxml.aalto.UncheckedStreamException;
import com.fasterxml.aalto.stax.InputFactoryImpl;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads a pool's XML with StAX, one event at a time (no DOM of an 8,000-danmaku pool, no regex on XML), with
 * DTDs and external entities off (a pool is untrusted input). Every field of each {@code p} is checked: a bad
 * item is counted and skipped; only a document that is not well-formed XML fails the whole read. Characters XML 1.0
 * forbids, which real pools carry in danmaku text, are replaced by U+FFFD ({@link ForbiddenChars}) in a pool that
 * failed to parse, which is then read again, and counted: the danmaku is kept, and the rest of the pool with it.
 */
public final class PoolParser {

  /** More items than this is not a pool (real ones hold at most a few thousand). */
  static final int MAX_ITEMS = 200_000;

  /** Why an item with markup inside its {@code <d>} was skipped. */
  static final String MARKUP = "markup (a child element) inside <d>";

  private static final XMLInputFactory FACTORY = factory();

  private PoolParser() {}

  private static XMLInputFactory factory() {
    // Aalto, named rather than found (newFactory() takes whichever implementation the class path lists first): it
    // parses a pool about 3x faster than the JDK's built-in SJSXP (scripts/bench-video.sh), with the same guards below.
    XMLInputFactory f = new InputFactoryImpl();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
    return f;
  }

  public static Pool parse(byte[] xml) throws PoolFormatException {
    try {
      return read(xml, 0);
    } catch (XMLStreamException e) {
      // A character XML 1.0 forbids fails a conforming parser wherever it is, so a pool that parses has none: they
      // are looked for only in one that does not (no pass over the bytes of the usual pool), then it is read again.
      ForbiddenChars.Cleaned cleaned = ForbiddenChars.clean(xml);
      if (cleaned.replaced() > 0) {
        try {
          return read(cleaned.xml(), cleaned.replaced());
        } catch (XMLStreamException again) {
          throw malformed(again);
        }
      }
      throw malformed(e);
    }
  }

  private static PoolFormatException malformed(XMLStreamException e) {
    return new PoolFormatException("malformed pool XML: " + VideoApi.reason(String.valueOf(e.getMessage())));
  }

  /** The pool of {@code xml}; {@code replaced}: how many characters were replaced in it before. */
  private static Pool read(byte[] xml, int replaced) throws PoolFormatException, XMLStreamException {
    try {
      return readPool(xml, replaced);
    } catch (UncheckedStreamException e) {
      // Aalto parses a token when asked for it, so methods that declare no exception (getText) wrap the fault.
      if (e.getCause() instanceof XMLStreamException cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static Pool readPool(byte[] xml, int replaced) throws PoolFormatException, XMLStreamException {
    XMLStreamReader reader = null;
    long chatId = 0;
    int maxLimit = 0;
    int bad = 0;
    String firstBad = null;
    List<PoolDanmaku> items = new ArrayList<>();
    Fields fields = new Fields();
    try {
      // A stream, not Aalto's Stax2ByteArraySource: with that, a document in another encoding than UTF-8 or Latin-1
      // (UTF-16, GBK) fails inside Aalto with a NullPointerException (1.3.3); through a stream it reads them all.
      reader = FACTORY.createXMLStreamReader(new ByteArrayInputStream(xml));
      int depth = 0;
      boolean sawRoot = false;
      while (reader.hasNext()) {
        int event = reader.next();
        if (event == XMLStreamConstants.DTD) {
          throw new PoolFormatException("a pool must not carry a DOCTYPE");
        }
        if (event != XMLStreamConstants.START_ELEMENT) {
          if (event == XMLStreamConstants.END_ELEMENT) {
            depth--;
          }
          continue;
        }
        depth++;
        String name = reader.getLocalName();
        if (depth == 1) {
          if (!"i".equals(name)) {
            throw new PoolFormatException("the root element is <" + VideoApi.reason(name) + ">, not <i>");
          }
          sawRoot = true;
          continue;
        }
        if (depth != 2) {
          continue;
        }
        switch (name) {
          case "chatid" -> chatId = Math.max(0, VideoApi.number(reader.getElementText()));
          case "maxlimit" -> maxLimit = (int) Math.max(0, Math.min(Integer.MAX_VALUE, VideoApi.number(reader.getElementText())));
          case "d" -> {
            String p = reader.getAttributeValue(null, "p");
            String text = itemText(reader);
            depth--;
            PoolDanmaku danmaku = p == null || text == null ? null : fields.read(p, text);
            if (danmaku != null) {
              if (items.size() >= MAX_ITEMS) {
                throw new PoolFormatException("more than " + MAX_ITEMS + " danmaku in one pool");
              }
              items.add(danmaku);
            } else {
              bad++;
              if (firstBad == null) {
                firstBad = text == null ? MARKUP : p == null ? "no p attribute" : problem(p);
              }
            }
          }
          default -> {
            // chatserver, mission, real_name, source and the like: not needed.
          }
        }
        if (!"d".equals(name) && ("chatid".equals(name) || "maxlimit".equals(name))) {
          depth--;
        }
      }
      if (!sawRoot) {
        throw new PoolFormatException("no <i> element");
      }
    } finally {
      if (reader != null) {
        try {
          reader.close();
        } catch (XMLStreamException ignored) {
          // Closing a reader over a byte array releases nothing.
        }
      }
    }
    return new Pool(chatId, maxLimit, List.copyOf(items), bad, firstBad, replaced);
  }

  /**
   * The text of the {@code <d>} the reader stands on, leaving it on the element's end: character data, CDATA
   * sections and the predefined and numeric entities are its text (that is XML's escaping); a child element is
   * markup no pool carries (SPEC §1c: the text is escaped user content), so the item is read to its end and
   * null says to skip it. An undeclared entity ({@code &nbsp;}) is not well-formed XML: the parser fails the
   * document on it, as every conforming parser must.
   */
  private static String itemText(XMLStreamReader reader) throws XMLStreamException {
    int event = reader.next();
    if (event == XMLStreamConstants.END_ELEMENT) {
      return "";
    }
    String first = "";
    if (event == XMLStreamConstants.CHARACTERS) {
      first = reader.getText();
      if (reader.next() == XMLStreamConstants.END_ELEMENT) {
        // The common case (the reader coalesces text): one text event, then the end.
        return first;
      }
    }
    // Rarer shapes: several text events (comments between), or markup inside.
    StringBuilder text = new StringBuilder(first);
    boolean markup = false;
    int nested = 0;
    while (true) {
      switch (reader.getEventType()) {
        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
          if (!markup) {
            text.append(reader.getTextCharacters(), reader.getTextStart(), reader.getTextLength());
          }
        }
        case XMLStreamConstants.START_ELEMENT -> {
          markup = true;
          nested++;
        }
        case XMLStreamConstants.END_ELEMENT -> {
          if (nested == 0) {
            return markup ? null : text.toString();
          }
          nested--;
        }
        default -> {
          // Comments and processing instructions inside a d are not its text.
        }
      }
      reader.next();
    }
  }

  /** Why {@code p} is not a valid danmaku, or null when each of its first eight fields is. */
  static String check(String p) {
    return p == null ? "no p attribute" : new Fields().read(p, "") == null ? problem(p) : null;
  }

  /**
   * The checks of {@link #read(String, String, String[])} in one pass over the attribute's characters, each field's
   * value computed as it is checked (no cuts, no second pass per field): what every item of a pool goes through.
   * It accepts exactly what that method accepts, with the same values; a bad item's reason comes from that
   * method (bad items are few). One per parse, reusing its buffer.
   */
  static final class Fields {
    /** The ASCII letters and digits. */
    private static final boolean[] ASCII_ALNUM = new boolean[0x80];

    static {
      for (char ch = '0'; ch <= '9'; ch++) {
        ASCII_ALNUM[ch] = true;
      }
      for (char ch = 'a'; ch <= 'z'; ch++) {
        ASCII_ALNUM[ch] = true;
        ASCII_ALNUM[ch - 'a' + 'A'] = true;
      }
    }

    private char[] c = new char[128];
    private int n;
    /** Where the next field starts; past the end when the field just read was the attribute's last. */
    private int at;

    PoolDanmaku read(String p, String text) {
      n = p.length();
      if (c.length < n) {
        c = new char[Math.max(n, c.length * 2)];
      }
      p.getChars(0, n, c, 0);
      char[] c = this.c;
      // Each loop stops at the first character its field does not allow, which must then be the comma after it: one
      // test per character ((char) (ch - '0') > 9 for "not a digit"), the rare ones sorted out after.
      // Field 1: seconds, digits with at most one dot inside, 1 to 20 characters.
      int i = 0;
      int dot = -1;
      while (i < n) {
        char ch = c[i];
        if ((char) (ch - '0') > 9) {
          if (ch != '.' || dot >= 0) {
            break;
          }
          dot = i;
        }
        i++;
      }
      if (i == n || c[i] != ',' || i == 0 || i > 20 || dot == 0 || dot == i - 1) {
        return null;
      }
      long progressMs = millis(p, c, i, dot);
      at = i + 1;
      long mode = integer(1, 9);
      if (mode < 0 || at > n) {
        return null;
      }
      long size = integer(1, 1000);
      if (size < 0 || at > n) {
        return null;
      }
      long color = integer(0, 0xFFFFFFL);
      if (color < 0 || at > n) {
        return null;
      }
      long ctime = integer(0, 99_999_999_999L);
      if (ctime < 0 || at > n) {
        return null;
      }
      long pool = integer(0, 99);
      if (pool < 0 || at > n) {
        return null;
      }
      int hashFrom = at;
      int j = hashFrom;
      // Fields 1 to 6 are digits, dots and commas, the dmid digits: p is plain ASCII (PoolDanmaku.rawPChars) unless the
      // hash or what follows the dmid holds something else.
      boolean plain = true;
      while (j < n) {
        char ch = c[j];
        if (ch < 0x80) {
          // A table, not digit-or-letter tests: a hex hash mixes both, and those branches would go either way.
          if (!ASCII_ALNUM[ch]) {
            break;
          }
        } else if (Character.isLetterOrDigit(ch)) {
          plain = false;
        } else {
          return null;
        }
        j++;
      }
      if (j == n || c[j] != ',' || j == hashFrom || j - hashFrom > 32) {
        return null;
      }
      int idFrom = j + 1;
      int k = idFrom;
      long id = 0;
      while (k < n) {
        int digit = (char) (c[k] - '0');
        if (digit > 9) {
          break;
        }
        id = id * 10 + digit;
        k++;
      }
      if ((k < n && c[k] != ',') || k == idFrom || k - idFrom > 20) {
        return null;
      }
      // PoolDanmaku.plainDecimal's value: 20 digits, a leading zero or past Long.MAX_VALUE (19 digits below 2^64
      // wrap once, to a negative) are not a long as written.
      long idValue = k - idFrom > 19 || (c[idFrom] == '0' && k - idFrom > 1) || id < 0 ? -1 : id;
      for (int t = k; t < n && plain; t++) {
        char ch = c[t];
        plain = ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\';
      }
      return PoolDanmaku.inP(p, idFrom, k, progressMs, (int) mode, (int) size, color, ctime, (int) pool, hashFrom, j,
          text, idValue, plain);
    }

    /** The digits from {@link #at} to the next comma (or the end) if 1 to 12 of them within [min, max], else -1. */
    private long integer(long min, long max) {
      char[] c = this.c;
      int from = at;
      int i = from;
      long v = 0;
      while (i < n) {
        int digit = (char) (c[i] - '0');
        if (digit > 9) {
          break;
        }
        v = v * 10 + digit;
        i++;
      }
      if ((i < n && c[i] != ',') || i == from || i - from > 12) {
        // A character that is neither a digit nor the comma, no digit, or more than 12 (v may have wrapped: unused).
        return -1;
      }
      at = i + 1;
      return v >= min && v <= max ? v : -1;
    }

    /** Field 1, {@code [0, to)} with its dot at {@code dot} (or -1), in ms as {@link PoolParser#millis} reads it. */
    private static long millis(String p, char[] c, int to, int dot) {
      int wholeTo = dot < 0 ? to : dot;
      if (wholeTo > 15) {
        return Math.round(Double.parseDouble(p.substring(0, to)) * 1000);
      }
      long ms = 0;
      for (int i = 0; i < wholeTo; i++) {
        ms = ms * 10 + (c[i] - '0');
      }
      ms *= 1000;
      int scale = 100;
      for (int i = wholeTo + 1; i < to && scale > 0; i++, scale /= 10) {
        ms += (c[i] - '0') * scale;
      }
      int next = wholeTo + 4;
      if (next < to && c[next] >= '5') {
        ms++;
      }
      return ms;
    }
  }

  /**
   * The danmaku of {@code p} and {@code text}, or null when a field is bad, field by field; with {@code why}, the
   * first reason. {@link Fields} does the same checks in one pass for every item; this one names a bad item's fault.
   */
  static PoolDanmaku read(String p, String text, String[] why) {
    int[] cut = new int[8];
    int fields = 0;
    for (int i = 0; i <= p.length() && fields < 8; i++) {
      if (i == p.length() || p.charAt(i) == ',') {
        cut[fields++] = i;
      }
    }
    if (fields < 8) {
      return fail(why, "p has " + fields + " fields, needs 8");
    }
    int f1 = cut[0];
    if (!decimal(p, 0, f1)) {
      return fail(why, "p field 1 (time) is not a decimal number of seconds");
    }
    long mode = integer(p, f1 + 1, cut[1], 1, 9);
    if (mode < 0) {
      return fail(why, "p field 2 (mode) is not 1..9");
    }
    long size = integer(p, cut[1] + 1, cut[2], 1, 1000);
    if (size < 0) {
      return fail(why, "p field 3 (font size) is not 1..1000");
    }
    long color = integer(p, cut[2] + 1, cut[3], 0, 0xFFFFFFL);
    if (color < 0) {
      return fail(why, "p field 4 (colour) is not 0..16777215");
    }
    long ctime = integer(p, cut[3] + 1, cut[4], 0, 99_999_999_999L);
    if (ctime < 0) {
      return fail(why, "p field 5 (send time) is not unix seconds");
    }
    long pool = integer(p, cut[4] + 1, cut[5], 0, 99);
    if (pool < 0) {
      return fail(why, "p field 6 (pool) is not a small number");
    }
    int hashFrom = cut[5] + 1;
    int hashTo = cut[6];
    if (hashTo <= hashFrom || hashTo - hashFrom > 32 || !alphanumeric(p, hashFrom, hashTo)) {
      return fail(why, "p field 7 (sender hash) is not a short alphanumeric hash");
    }
    int idFrom = cut[6] + 1;
    int idTo = cut[7];
    if (idTo <= idFrom || idTo - idFrom > 20 || !digits(p, idFrom, idTo)) {
      return fail(why, "p field 8 (dmid) is not a number");
    }
    long progressMs = millis(p, 0, f1);
    return new PoolDanmaku(p.substring(idFrom, idTo), progressMs, (int) mode, (int) size, color, ctime, (int) pool,
        p.substring(hashFrom, hashTo), text, p);
  }

  /**
   * Seconds written as {@code decimal} checked them, in ms, rounded half up: exact in decimal (no double, whose
   * binary fractions would round 1.0005 down), and cheap enough for every item of a pool.
   */
  private static long millis(String s, int from, int to) {
    int dot = s.indexOf('.', from);
    int wholeTo = dot < 0 || dot >= to ? to : dot;
    if (wholeTo - from > 15) {
      return Math.round(Double.parseDouble(s.substring(from, to)) * 1000);
    }
    long ms = 0;
    for (int i = from; i < wholeTo; i++) {
      ms = ms * 10 + (s.charAt(i) - '0');
    }
    ms *= 1000;
    int scale = 100;
    for (int i = wholeTo + 1; i < to && scale > 0; i++, scale /= 10) {
      ms += (s.charAt(i) - '0') * scale;
    }
    int next = wholeTo + 4;
    if (next < to && s.charAt(next) >= '5') {
      ms++;
    }
    return ms;
  }

  private static String problem(String p) {
    String[] why = new String[1];
    read(p, "", why);
    return why[0];
  }

  private static PoolDanmaku fail(String[] why, String reason) {
    if (why != null) {
      why[0] = reason;
    }
    return null;
  }

  /** The value of digits in [from, to) if within [min, max], else -1. */
  private static long integer(String s, int from, int to, long min, long max) {
    if (to <= from || to - from > 12) {
      return -1;
    }
    long v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v >= min && v <= max ? v : -1;
  }

  private static boolean digits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean alphanumeric(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!Character.isLetterOrDigit(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean decimal(String s, int from, int to) {
    if (to <= from || to - from > 20 || s.charAt(from) == '.' || s.charAt(to - 1) == '.') {
      return false;
    }
    int dots = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return dots <= 1;
  }
}
