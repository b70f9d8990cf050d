package io.danmakurelay.dedupe;

import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.PollResult;
import io.vertx.core.json.JsonObject;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;

// Builds upstream items and answers for the deduper tests; the raw item carries a test-only serial.
final class Items {

  static final long BASE_SECOND = 1_764_388_800L;
  private static final DateTimeFormatter TIMELINE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private Items() {}

  static String timeline(long second) {
    return LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.ofHours(8)).format(TIMELINE);
  }

  /** A legacy item: no id_str, no check_info. */
  static Danmaku legacy(DanmakuList list, long serial, long uid, String text, long second, String rnd) {
    return item(list, serial, uid, text, second, rnd, null);
  }

  /** An item with the given id_str (null: legacy). */
  static Danmaku item(DanmakuList list, long serial, long uid, String text, long second, String rnd, String idStr) {
    JsonObject raw = new JsonObject()
        .put("text", text).put("uid", uid).put("nickname", "u" + uid)
        .put("timeline", timeline(second)).put("rnd", rnd).put("serial", serial);
    if (idStr != null) {
      raw.put("id_str", idStr);
    }
    return new Danmaku(list, text, uid, "u" + uid, timeline(second), second * 1000, idStr, rnd, null, raw);
  }

  /** A legacy item of the room list identified by its text, at BASE_SECOND + offset. */
  static Danmaku room(String text, int secondOffset) {
    return legacy(DanmakuList.ROOM, -1, 42, text, BASE_SECOND + secondOffset, "r");
  }

  static Danmaku room(String text) {
    return room(text, 0);
  }

  static Danmaku admin(String text) {
    return legacy(DanmakuList.ADMIN, -1, 7, text, BASE_SECOND, "r");
  }

  /** A modern item with id_str and check_info. */
  static Danmaku modern(String idStr, String text, int secondOffset) {
    long second = BASE_SECOND + secondOffset;
    JsonObject raw = new JsonObject()
        .put("text", text).put("uid", 42).put("timeline", timeline(second)).put("id_str", idStr)
        .put("check_info", new JsonObject().put("ts", second).put("ct", "ABCDEF01"));
    return new Danmaku(DanmakuList.ROOM, text, 42, "n", timeline(second), second * 1000, idStr, "", "ABCDEF01", raw);
  }

  static PollResult.Success rooms(Danmaku... items) {
    return new PollResult.Success(Arrays.asList(items), List.of());
  }

  static PollResult.Success answer(List<Danmaku> room, List<Danmaku> admin) {
    return new PollResult.Success(room, admin);
  }

  /** Ten distinct room items named prefix0..prefix9 at the given second offset. */
  static Danmaku[] ten(String prefix, int secondOffset) {
    Danmaku[] items = new Danmaku[10];
    for (int i = 0; i < 10; i++) {
      items[i] = room(prefix + i, secondOffset);
    }
    return items;
  }

  static Danmaku[] concat(Danmaku[] first, Danmaku... rest) {
    Danmaku[] all = Arrays.copyOf(first, first.length + rest.length);
    System.arraycopy(rest, 0, all, first.length, rest.length);
    return all;
  }

  static Danmaku[] slice(Danmaku[] items, int from, int to) {
    return Arrays.copyOfRange(items, from, to);
  }
}
