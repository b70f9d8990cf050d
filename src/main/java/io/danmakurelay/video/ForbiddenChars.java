package io.danmakurelay.video;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Replaces, in a pool's UTF-8 XML bytes, the characters XML 1.0 forbids (its {@code Char} production) by U+FFFD, so
 * that a pool which failed to parse on them can be read ({@link PoolParser} calls it only then): real pools carry some
 * in danmaku text (U+0008 and other C0 controls, raw or as {@code &#8;}), and a conforming parser fails the whole
 * document on the first. Replaced: C0 controls but tab, LF and
 * CR; U+FFFE and U+FFFF; and character references to those, to surrogates or past U+10FFFF (inside a CDATA section a
 * reference is text, and stays). One pass over the bytes, no copy when there is nothing to replace (the usual pool).
 * A document that declares another encoding than UTF-8 is handled only for the single-byte controls.
 */
public final class ForbiddenChars {

  /** The bytes and how many characters were replaced (0: {@code xml} is the input array itself). */
  public record Cleaned(byte[] xml, int replaced) {}

  private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);

  /** Per byte: 0 nothing to look at, 1 a forbidden control, 2 {@code &}, 3 {@code <}, 4 the lead byte 0xEF. */
  private static final byte[] KIND = new byte[256];

  static {
    for (int b = 0; b < 0x20; b++) {
      KIND[b] = 1;
    }
    KIND['\t'] = 0;
    KIND['\n'] = 0;
    KIND['\r'] = 0;
    KIND['&'] = 2;
    KIND['<'] = 3;
    KIND[0xEF] = 4;
  }

  private static final byte[] CDATA_OPEN = "<![CDATA[".getBytes(StandardCharsets.US_ASCII);

  private ForbiddenChars() {}

  public static Cleaned clean(byte[] xml) {
    if (utf16(xml)) {
      // Not ours to fix byte-wise (a NUL byte is half of every ASCII character); the parser decides.
      return new Cleaned(xml, 0);
    }
    boolean utf8 = declaresUtf8(xml);
    Writer out = null;
    int copiedUpTo = 0;
    int cdataEnd = -1;
    int n = xml.length;
    for (int i = 0; i < n; i++) {
      int kind = KIND[xml[i] & 0xFF];
      if (kind == 0) {
        continue;
      }
      int length;
      switch (kind) {
        case 1 -> length = 1;
        case 2 -> length = i < cdataEnd ? 0 : forbiddenReference(xml, i);
        case 3 -> {
          if (i >= cdataEnd && startsWith(xml, i, CDATA_OPEN)) {
            cdataEnd = cdataEnd(xml, i + CDATA_OPEN.length);
          }
          length = 0;
        }
        default -> length = utf8 && i + 2 < n && xml[i + 1] == (byte) 0xBF
            && (xml[i + 2] == (byte) 0xBE || xml[i + 2] == (byte) 0xBF) ? 3 : 0;
      }
      if (length == 0) {
        continue;
      }
      if (out == null) {
        out = new Writer(n + 64);
      }
      out.write(xml, copiedUpTo, i - copiedUpTo);
      out.write(REPLACEMENT, 0, REPLACEMENT.length);
      out.replaced++;
      i += length - 1;
      copiedUpTo = i + 1;
    }
    if (out == null) {
      return new Cleaned(xml, 0);
    }
    out.write(xml, copiedUpTo, n - copiedUpTo);
    return new Cleaned(out.bytes(), out.replaced);
  }

  /**
   * The length of the character reference at {@code at} ({@code &#N;} or {@code &#xH;}) when it names a character
   * XML 1.0 forbids, else 0 (an entity reference, or a reference to an allowed character).
   */
  private static int forbiddenReference(byte[] xml, int at) {
    int n = xml.length;
    int i = at + 1;
    if (i >= n || xml[i] != '#') {
      return 0;
    }
    i++;
    boolean hex = i < n && xml[i] == 'x';
    if (hex) {
      i++;
    }
    int start = i;
    long value = 0;
    while (i < n && i - start <= 12) {
      int b = xml[i];
      int digit = b >= '0' && b <= '9' ? b - '0'
          : hex && b >= 'a' && b <= 'f' ? b - 'a' + 10
          : hex && b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;
      if (digit < 0) {
        break;
      }
      value = value * (hex ? 16 : 10) + digit;
      i++;
    }
    if (i == start || i >= n || xml[i] != ';' || i - start > 12) {
      // Not a reference the parser would read: it fails the document (or reads it as text) as it should.
      return 0;
    }
    boolean allowed = value == 0x9 || value == 0xA || value == 0xD || (value >= 0x20 && value <= 0xD7FF)
        || (value >= 0xE000 && value <= 0xFFFD) || (value >= 0x10000 && value <= 0x10FFFF);
    return allowed ? 0 : i + 1 - at;
  }

  private static int cdataEnd(byte[] xml, int from) {
    for (int i = from; i + 2 < xml.length; i++) {
      if (xml[i] == ']' && xml[i + 1] == ']' && xml[i + 2] == '>') {
        return i;
      }
    }
    return xml.length;
  }

  private static boolean startsWith(byte[] xml, int at, byte[] prefix) {
    if (at + prefix.length > xml.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (xml[at + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }

  private static boolean utf16(byte[] xml) {
    if (xml.length < 2) {
      return false;
    }
    int b0 = xml[0] & 0xFF;
    int b1 = xml[1] & 0xFF;
    return (b0 == 0xFE && b1 == 0xFF) || (b0 == 0xFF && b1 == 0xFE) || (b0 == 0 && b1 == '<') || (b0 == '<' && b1 == 0);
  }

  /** Whether the XML declaration names UTF-8 or no encoding (XML's default); checks its first 200 bytes only. */
  private static boolean declaresUtf8(byte[] xml) {
    int from = xml.length >= 3 && (xml[0] & 0xFF) == 0xEF && (xml[1] & 0xFF) == 0xBB && (xml[2] & 0xFF) == 0xBF ? 3 : 0;
    if (!startsWith(xml, from, "<?xml".getBytes(StandardCharsets.US_ASCII))) {
      return true;
    }
    int end = Math.min(xml.length, from + 200);
    String declaration = new String(xml, from, end - from, StandardCharsets.ISO_8859_1);
    int close = declaration.indexOf("?>");
    if (close >= 0) {
      declaration = declaration.substring(0, close);
    }
    int at = declaration.indexOf("encoding");
    if (at < 0) {
      return true;
    }
    int i = at + "encoding".length();
    while (i < declaration.length() && (declaration.charAt(i) == '=' || Character.isWhitespace(declaration.charAt(i)))) {
      i++;
    }
    // Past the opening quote.
    return declaration.substring(Math.min(declaration.length(), i + 1)).toLowerCase(Locale.ROOT).startsWith("utf-8");
  }

  /** A growing byte buffer (only made once a character must be replaced). */
  private static final class Writer {
    byte[] bytes;
    int size;
    int replaced;

    Writer(int capacity) {
      bytes = new byte[capacity];
    }

    void write(byte[] from, int offset, int length) {
      if (size + length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(size + length, bytes.length * 2));
      }
      System.arraycopy(from, offset, bytes, size, length);
      size += length;
    }

    byte[] bytes() {
      return Arrays.copyOf(bytes, size);
    }
  }
}
