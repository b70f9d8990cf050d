package io.danmakurelay.video;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The seed document's real answers (src/test/resources/video) and small pool documents. */
final class Fixtures {

  private Fixtures() {}

  static byte[] resource(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/video/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A pool as comment.bilibili.com writes it, holding {@code items} (each a whole {@code <d>} element). */
  static String pool(long cid, int maxLimit, String... items) {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><i><chatserver>chat.bilibili.com"
        + "</chatserver><chatid>" + cid + "</chatid><mission>0</mission><maxlimit>" + maxLimit
        + "</maxlimit><state>0</state><real_name>0</real_name><source>k-v</source>");
    for (String item : items) {
      xml.append(item);
    }
    return xml.append("</i>").toString();
  }

  static String d(String dmid, String text) {
    return "<d p=\"12.34500,1,25,16777215,1500000000,0,abcdef12," + dmid + "\">" + text + "</d>";
  }
}
