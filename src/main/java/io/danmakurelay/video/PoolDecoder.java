package io.danmakurelay.video;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Turns a pool body into XML bytes. {@code comment.bilibili.com} sends raw deflate (no zlib header) and says
 * {@code Content-Encoding: deflate}, which HTTP means as zlib; others send zlib, gzip or plain XML. So the
 * bytes decide, the header only breaks ties: gzip magic, a valid zlib header, XML's {@code <}, else raw
 * deflate. Inflating stops at {@code maxBytes}: a small body that inflates without end (a bomb) is refused.
 */
public final class PoolDecoder {

  /** How a body was encoded (for logs and tests). */
  public enum Encoding { PLAIN, GZIP, ZLIB, RAW_DEFLATE }

  public record Decoded(byte[] xml, Encoding encoding) {}

  private PoolDecoder() {}

  public static Decoded decode(String contentEncoding, byte[] body, long maxBytes) throws PoolFormatException {
    if (body == null || body.length == 0) {
      throw new PoolFormatException("empty pool body");
    }
    Encoding encoding = sniff(contentEncoding, body);
    if (encoding == Encoding.PLAIN) {
      if (body.length > maxBytes) {
        throw new PoolFormatException("pool body over " + maxBytes + " bytes");
      }
      return new Decoded(body, encoding);
    }
    if (encoding != Encoding.GZIP) {
      return new Decoded(inflate(body, encoding == Encoding.RAW_DEFLATE, maxBytes), encoding);
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body), 8192)) {
      return new Decoded(readBounded(in, maxBytes, body.length), encoding);
    } catch (EOFException e) {
      throw new PoolFormatException("truncated " + name(encoding) + " stream");
    } catch (ZipException e) {
      throw new PoolFormatException("corrupt " + name(encoding) + " stream: " + VideoApi.reason(String.valueOf(e.getMessage())));
    } catch (IOException e) {
      throw new PoolFormatException("cannot inflate the pool: " + VideoApi.reason(String.valueOf(e.getMessage())));
    }
  }

  static Encoding sniff(String contentEncoding, byte[] body) {
    int b0 = body[0] & 0xff;
    int b1 = body.length > 1 ? body[1] & 0xff : 0;
    if (b0 == 0x1f && b1 == 0x8b) {
      return Encoding.GZIP;
    }
    if ((b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && body.length > 1 && ((b0 << 8) | b1) % 31 == 0) {
      return Encoding.ZLIB;
    }
    String declared = contentEncoding == null ? "" : contentEncoding.strip().toLowerCase(Locale.ROOT);
    if (looksLikeXml(body) && !declared.equals("deflate") && !declared.equals("gzip")) {
      return Encoding.PLAIN;
    }
    if (looksLikeXml(body)) {
      // Declared compressed but starts like XML: a proxy inflated it already.
      return Encoding.PLAIN;
    }
    return Encoding.RAW_DEFLATE;
  }

  private static boolean looksLikeXml(byte[] body) {
    int i = 0;
    if (body.length >= 3 && (body[0] & 0xff) == 0xef && (body[1] & 0xff) == 0xbb && (body[2] & 0xff) == 0xbf) {
      i = 3;
    }
    while (i < body.length && i < 64 && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
      i++;
    }
    return i < body.length && body[i] == '<';
  }

  /**
   * Zlib or raw deflate straight into one growing array (the whole body is the inflater's input: no stream, no
   * chunk copies), refused once it passes {@code maxBytes}.
   */
  private static byte[] inflate(byte[] body, boolean raw, long maxBytes) throws PoolFormatException {
    Encoding encoding = raw ? Encoding.RAW_DEFLATE : Encoding.ZLIB;
    Inflater inflater = new Inflater(raw);
    try {
      inflater.setInput(body);
      long limit = Math.min(maxBytes, Integer.MAX_VALUE - 16);
      byte[] out = new byte[(int) Math.min(limit + 1, Math.max(8192L, body.length * 4L))];
      int size = 0;
      while (!inflater.finished()) {
        if (size == out.length) {
          if (size > limit) {
            break;
          }
          out = Arrays.copyOf(out, (int) Math.min(limit + 1, out.length * 2L));
        }
        int n = inflater.inflate(out, size, out.length - size);
        size += n;
        if (size > limit) {
          break;
        }
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new PoolFormatException(inflater.needsInput() ? "truncated " + name(encoding) + " stream"
              : "corrupt " + name(encoding) + " stream: it needs a preset dictionary");
        }
      }
      if (size > limit) {
        throw new PoolFormatException("pool inflates past " + maxBytes + " bytes (from " + body.length
            + " compressed): refused");
      }
      return size == out.length ? out : Arrays.copyOf(out, size);
    } catch (DataFormatException e) {
      throw new PoolFormatException("corrupt " + name(encoding) + " stream: " + VideoApi.reason(String.valueOf(e.getMessage())));
    } finally {
      inflater.end();
    }
  }

  private static byte[] readBounded(InputStream in, long maxBytes, int compressed) throws IOException, PoolFormatException {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(maxBytes, Math.max(8192L, compressed * 4L)));
    byte[] chunk = new byte[16384];
    long total = 0;
    int n;
    while ((n = in.read(chunk)) > 0) {
      total += n;
      if (total > maxBytes) {
        throw new PoolFormatException("pool inflates past " + maxBytes + " bytes (from " + compressed
            + " compressed): refused");
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }

  private static String name(Encoding encoding) {
    return switch (encoding) {
      case GZIP -> "gzip";
      case ZLIB -> "zlib";
      case RAW_DEFLATE -> "raw deflate";
      case PLAIN -> "plain";
    };
  }
}
