package io.danmakurelay.sim;

import io.danmakurelay.upstream.DanmakuList;
import java.util.List;

/**
 * Renders poll answers exactly as the two real APIs spell them. The legacy API was PHP
 * ({@code json_encode}: ASCII only, {@code \\uXXXX} for everything else, {@code \\/} for slashes); the
 * modern one is Go ({@code encoding/json}: raw UTF-8, {@code <>&} and U+2028/9 escaped). Both are valid
 * JSON for the same data, and a relay must read both.
 */
final class PayloadWriter {

  static final String POLL_PREFIX = "{\"code\":0,\"message\":\"\",\"msg\":\"\",\"data\":{\"admin\":[";

  private PayloadWriter() {}

  /** The whole poll answer from pre-rendered items, each list oldest first. */
  static String pollBody(List<String> adminItems, List<String> roomItems) {
    int size = POLL_PREFIX.length() + 16;
    for (String s : adminItems) {
      size += s.length() + 1;
    }
    for (String s : roomItems) {
      size += s.length() + 1;
    }
    StringBuilder out = new StringBuilder(size);
    out.append(POLL_PREFIX);
    join(out, adminItems);
    out.append("],\"room\":[");
    join(out, roomItems);
    out.append("]}}");
    return out.toString();
  }

  private static void join(StringBuilder out, List<String> items) {
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(items.get(i));
    }
  }

  /** One item of the legacy {@code ajax/msg} answer. */
  static String legacyItem(SimMessage m, long anchorUid) {
    StringBuilder out = new StringBuilder(420);
    out.append('{');
    legacyFields(out, m, anchorUid, true);
    out.append('}');
    return out.toString();
  }

  /** One item of the modern {@code gethistory} answer: the legacy fields and the newer ones. */
  static String modernItem(SimMessage m, long anchorUid) {
    StringBuilder out = new StringBuilder(900);
    out.append('{');
    legacyFields(out, m, anchorUid, false);
    long tsSeconds = Math.floorDiv(m.tsMs(), 1000L);
    int wealth = (int) (m.uid() % 30);
    out.append(",\"check_info\":{\"ts\":").append(tsSeconds).append(",\"ct\":");
    string(out, m.ct(), false);
    out.append("},\"id_str\":");
    string(out, m.idStr(), false);
    out.append(",\"dm_type\":0")
        .append(",\"emoticon\":{\"id\":0,\"emoticon_unique\":\"\",\"text\":\"\",\"perm\":0,\"url\":\"\",")
        .append("\"in_player_area\":0,\"bulge_display\":0,\"is_dynamic\":0,\"height\":0,\"width\":0}")
        .append(",\"emots\":null")
        .append(",\"wealth_level\":").append(wealth)
        .append(",\"reply\":{\"show_reply\":true,\"reply_mid\":0,\"reply_uname\":\"\",")
        .append("\"reply_uname_color\":\"\",\"reply_is_mystery\":false,\"reply_type_enum\":0}")
        .append(",\"user\":{\"uid\":").append(m.uid()).append(",\"base\":{\"name\":");
    string(out, m.nickname(), false);
    out.append(",\"face\":\"https://i0.hdslb.com/bfs/face/member/noface.jpg\",\"name_color\":0,")
        .append("\"is_mystery\":false,\"risk_ctrl_info\":null,\"origin_info\":{\"name\":");
    string(out, m.nickname(), false);
    out.append(",\"face\":\"https://i0.hdslb.com/bfs/face/member/noface.jpg\"},\"official_info\":")
        .append("{\"role\":0,\"title\":\"\",\"desc\":\"\",\"type\":-1}},\"medal\":null,")
        .append("\"wealth\":{\"level\":").append(wealth).append(",\"dm_icon_key\":\"\"},")
        .append("\"title\":{\"old_title_css_id\":\"\",\"title_css_id\":\"\"},")
        .append("\"guard\":null,\"uhead_frame\":null,\"guard_leader\":{\"is_guard_leader\":false}}");
    out.append('}');
    return out.toString();
  }

  private static void legacyFields(StringBuilder out, SimMessage m, long anchorUid, boolean php) {
    long uid = m.uid();
    int level = (int) (uid % 40) + 1;
    out.append("\"text\":");
    string(out, m.text(), php);
    out.append(",\"uid\":").append(uid).append(",\"nickname\":");
    string(out, m.nickname(), php);
    out.append(",\"uname_color\":\"\",\"timeline\":\"").append(m.timeline()).append('"')
        .append(",\"isadmin\":").append(m.list() == DanmakuList.ADMIN ? 1 : 0)
        .append(",\"vip\":").append(uid % 7 == 0 ? 1 : 0)
        .append(",\"svip\":").append(uid % 21 == 0 ? 1 : 0)
        .append(",\"medal\":");
    if (uid % 3 == 0) {
      out.append('[').append(uid % 20 + 1).append(',');
      string(out, "粉丝团", php);
      out.append(',');
      string(out, "主播" + (m.roomId() % 1000), php);
      out.append(',').append(m.roomId()).append(",6067854,\"\",0,6067854,6067854,6067854,0,0,")
          .append(anchorUid).append(']');
    } else {
      out.append("[]");
    }
    out.append(",\"title\":").append(uid % 11 == 0 ? "[\"title-111-1\",\"title-111-1\"]" : "[\"\",\"\"]")
        .append(",\"user_level\":[").append(level).append(",0,9868950,\">50000\"]")
        .append(",\"rank\":10000,\"teamid\":0,\"rnd\":\"").append(m.rnd()).append('"')
        .append(",\"user_title\":\"\"")
        .append(",\"guard_level\":").append(uid % 13 == 0 ? 3 : 0)
        .append(",\"bubble\":0");
  }

  /** A JSON string literal, escaped the PHP way ({@code php}) or the Go way. */
  static void string(StringBuilder out, String s, boolean php) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '/' -> out.append(php ? "\\/" : "/");
        default -> {
          boolean escape = c < 0x20
              || (php && c > 0x7e && c != 0x7f)
              || (!php && (c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029'));
          if (escape) {
            unicodeEscape(out, c);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static void unicodeEscape(StringBuilder out, char c) {
    String hex = "0123456789abcdef";
    out.append("\\u")
        .append(hex.charAt((c >> 12) & 0xf))
        .append(hex.charAt((c >> 8) & 0xf))
        .append(hex.charAt((c >> 4) & 0xf))
        .append(hex.charAt(c & 0xf));
  }
}
