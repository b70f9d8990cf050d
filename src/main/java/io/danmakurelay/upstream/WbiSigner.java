package io.danmakurelay.upstream;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * wbi signing of upstream requests (SPEC §1b): the mixin key from {@code img_key + sub_key}, then
 * {@code w_rid = md5(sorted, filtered, URL-encoded query + mixin key)}. Pure: the keys and the time are
 * given. Used by the push client to sign {@code getDanmuInfo} and by the simulator to check it.
 */
public final class WbiSigner {

  /** The first 32 entries of the published 64-entry permutation: all the mixin key uses. */
  private static final int[] MIXIN_TABLE = {
      46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35,
      27, 43, 5, 49, 33, 9, 42, 19, 29, 28, 14, 39, 12, 38, 41, 13};

  private static final String DROPPED = "!'()*";

  private final String mixinKey;

  /** Both keys are the 32-character file names of {@code nav}'s {@code wbi_img} URLs. */
  public WbiSigner(String imgKey, String subKey) {
    this.mixinKey = mixinKey(imgKey, subKey);
  }

  public static String mixinKey(String imgKey, String subKey) {
    String raw = imgKey + subKey;
    if (raw.length() != 64) {
      throw new IllegalArgumentException("wbi keys must be 32 + 32 characters, got " + raw.length());
    }
    StringBuilder out = new StringBuilder(32);
    for (int index : MIXIN_TABLE) {
      out.append(raw.charAt(index));
    }
    return out.toString();
  }

  /** The key of a {@code wbi_img} URL: its file name without extension; empty when there is none. */
  public static Optional<String> keyOfUrl(String url) {
    if (url == null) {
      return Optional.empty();
    }
    String name = url.substring(url.lastIndexOf('/') + 1);
    int dot = name.indexOf('.');
    String key = dot >= 0 ? name.substring(0, dot) : name;
    return key.length() == 32 ? Optional.of(key) : Optional.empty();
  }

  public String mixinKey() {
    return mixinKey;
  }

  /**
   * The signed query for {@code params} at {@code wtsSeconds}: the sorted, encoded parameters with
   * {@code wts}, then {@code &w_rid=...}. Values have {@code !'()*} dropped, as the browser does.
   */
  public String signedQuery(Map<String, String> params, long wtsSeconds) {
    TreeMap<String, String> sorted = new TreeMap<>(params);
    sorted.put("wts", Long.toString(wtsSeconds));
    String query = canonicalQuery(sorted);
    return query + "&w_rid=" + wRid(query);
  }

  /** {@code w_rid} of an already canonical query. */
  public String wRid(String canonicalQuery) {
    return md5Hex(canonicalQuery + mixinKey);
  }

  /**
   * Whether {@code params} (as received, including {@code wts} and {@code w_rid}) carry the right
   * signature. The simulator's check.
   */
  public boolean verify(Map<String, String> params) {
    String given = params.get("w_rid");
    if (given == null || params.get("wts") == null) {
      return false;
    }
    TreeMap<String, String> sorted = new TreeMap<>(params);
    sorted.remove("w_rid");
    return wRid(canonicalQuery(sorted)).equals(given);
  }

  /** Parameters sorted by name, values filtered, both URL-encoded (upper-case hex, space as %20). */
  public static String canonicalQuery(TreeMap<String, String> sorted) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      if (!out.isEmpty()) {
        out.append('&');
      }
      encode(out, e.getKey());
      out.append('=');
      encode(out, filter(e.getValue()));
    }
    return out.toString();
  }

  private static String filter(String value) {
    StringBuilder out = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (DROPPED.indexOf(c) < 0) {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** RFC 3986 percent-encoding: only unreserved characters stay as they are. */
  static void encode(StringBuilder out, String value) {
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~';
      if (unreserved) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
  }

  private static String md5Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is required of every JVM", e);
    }
  }
}
