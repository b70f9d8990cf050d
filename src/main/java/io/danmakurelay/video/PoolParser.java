package io.danmakurelay.video;

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
 * item is counted and skipped; only a document that is not well-formed XML fails the whole read.
 */
public final class PoolParser {

  /** More items than this is not a pool (real ones hold at most a few thousand). */
  static final int MAX_ITEMS = 200_000;

  private static final XMLInputFactory FACTORY = factory();

  private PoolParser() {}

  private static XMLInputFactory factory() {
    XMLInputFactory f = XMLInputFactory.newFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
    return f;
  }

  public static Pool parse(byte[] xml) throws PoolFormatException {
    XMLStreamReader reader = null;
    long chatId = 0;
    int maxLimit = 0;
    int bad = 0;
    String firstBad = null;
    List<PoolDanmaku> items = new ArrayList<>();
    try {
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
            // Markup inside a <d> is not a pool this parser knows: getElementText refuses it, failing the read.
            String text = reader.getElementText();
            depth--;
            String problem = check(p);
            if (problem == null) {
              if (items.size() >= MAX_ITEMS) {
                throw new PoolFormatException("more than " + MAX_ITEMS + " danmaku in one pool");
              }
              items.add(danmaku(p, text));
            } else {
              bad++;
              if (firstBad == null) {
                firstBad = problem;
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
    } catch (XMLStreamException e) {
      throw new PoolFormatException("malformed pool XML: " + VideoApi.reason(String.valueOf(e.getMessage())));
    } finally {
      if (reader != null) {
        try {
          reader.close();
        } catch (XMLStreamException ignored) {
          // Closing a reader over a byte array releases nothing.
        }
      }
    }
    return new Pool(chatId, maxLimit, List.copyOf(items), bad, firstBad);
  }

  /** Why {@code p} is not a valid danmaku, or null when each of its first eight fields is. */
  static String check(String p) {
    if (p == null) {
      return "no p attribute";
    }
    String[] f = p.split(",", -1);
    if (f.length < 8) {
      return "p has " + f.length + " fields, needs 8";
    }
    if (!decimal(f[0])) {
      return "p field 1 (time) is not a decimal number of seconds";
    }
    if (!integer(f[1], 1, 9)) {
      return "p field 2 (mode) is not 1..9";
    }
    if (!integer(f[2], 1, 1000)) {
      return "p field 3 (font size) is not 1..1000";
    }
    if (!integer(f[3], 0, 0xFFFFFFL)) {
      return "p field 4 (colour) is not 0..16777215";
    }
    if (!integer(f[4], 0, 99_999_999_999L)) {
      return "p field 5 (send time) is not unix seconds";
    }
    if (!integer(f[5], 0, 99)) {
      return "p field 6 (pool) is not a small number";
    }
    if (f[6].isEmpty() || f[6].length() > 32 || !f[6].chars().allMatch(Character::isLetterOrDigit)) {
      return "p field 7 (sender hash) is not a short alphanumeric hash";
    }
    if (f[7].isEmpty() || f[7].length() > 20 || !f[7].chars().allMatch(c -> c >= '0' && c <= '9')) {
      return "p field 8 (dmid) is not a number";
    }
    return null;
  }

  private static PoolDanmaku danmaku(String p, String text) {
    String[] f = p.split(",", -1);
    long progressMs = Math.round(Double.parseDouble(f[0]) * 1000);
    return new PoolDanmaku(f[7], progressMs, Integer.parseInt(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]),
        Long.parseLong(f[4]), Integer.parseInt(f[5]), f[6], text, p);
  }

  private static boolean integer(String s, long min, long max) {
    if (s.isEmpty() || s.length() > 12) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    long v = Long.parseLong(s);
    return v >= min && v <= max;
  }

  private static boolean decimal(String s) {
    if (s.isEmpty() || s.length() > 20) {
      return false;
    }
    int dots = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return dots <= 1 && s.charAt(0) != '.' && s.charAt(s.length() - 1) != '.';
  }
}
