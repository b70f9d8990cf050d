package io.danmakurelay.push;

import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Set;

/**
 * What one push command means (SPEC §1b): a chat message ({@code DANMU_MSG}, read into the same
 * {@link Danmaku} a {@code gethistory} item gives), a non-chat event, or a chat message too malformed to
 * publish. Pure.
 */
public sealed interface PushCommand {

  /** A chat message. */
  record Chat(Danmaku danmaku) implements PushCommand {}

  /** Any other command, kept raw; {@code cmd} has its {@code :} suffix stripped. */
  record Event(String cmd, JsonObject raw) implements PushCommand {}

  /** A {@code DANMU_MSG} whose {@code info} does not hold what a message needs. */
  record Malformed(String reason) implements PushCommand {}

  /** The commands counted by name in {@code danmaku_events_published_total}; others count as "other". */
  Set<String> KNOWN_EVENTS = Set.of("SEND_GIFT", "SUPER_CHAT_MESSAGE", "GUARD_BUY", "INTERACT_WORD", "LIVE",
      "PREPARING", "ROOM_CHANGE", "WATCHED_CHANGE", "ONLINE_RANK_COUNT", "ENTRY_EFFECT", "INTERACT_WORD_V2",
      "COMBO_SEND", "NOTICE_MSG", "LIKE_INFO_V3_UPDATE", "STOP_LIVE_ROOM_LIST");

  /** The metric label of a command: its name when known, else "other". */
  static String label(String cmd) {
    return KNOWN_EVENTS.contains(cmd) ? cmd : "other";
  }

  /** {@code DANMU_MSG:4:0:2:2:2:0} to {@code DANMU_MSG}. */
  static String baseCmd(String cmd) {
    int colon = cmd.indexOf(':');
    return colon >= 0 ? cmd.substring(0, colon) : cmd;
  }

  /** Reads a command object (its {@code cmd} a string, as {@link PacketCodec} guarantees). */
  static PushCommand of(JsonObject command) {
    String cmd = baseCmd(command.getString("cmd"));
    if (!cmd.equals("DANMU_MSG")) {
      return new Event(cmd, command);
    }
    return Chats.read(command);
  }

  /** The reading of {@code info}; kept apart so the interface stays a list of cases. */
  final class Chats {
    private static final DateTimeFormatter TIMELINE =
        DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.ofHours(8));

    private Chats() {}

    static PushCommand read(JsonObject command) {
      if (!(command.getValue("info") instanceof JsonArray info) || info.size() < 10) {
        return new Malformed("DANMU_MSG without an info array of 10 entries");
      }
      if (!(info.getValue(0) instanceof JsonArray meta) || meta.size() < 16
          || !(meta.getValue(4) instanceof Number sentAt)) {
        return new Malformed("DANMU_MSG info[0] lacks the send time");
      }
      if (!(info.getValue(1) instanceof String text)) {
        return new Malformed("DANMU_MSG info[1] is not the text");
      }
      if (!(info.getValue(2) instanceof JsonArray user) || user.size() < 3
          || !(user.getValue(0) instanceof Number uid) || !(user.getValue(1) instanceof String nickname)) {
        return new Malformed("DANMU_MSG info[2] lacks uid and nickname");
      }
      String idStr = idStr(meta.getValue(15));
      if (idStr == null) {
        return new Malformed("DANMU_MSG info[0][15].extra lacks id_str");
      }
      String ct = null;
      if (info.getValue(9) instanceof JsonObject check && check.getValue("ct") instanceof String c) {
        ct = c;
      }
      boolean admin = user.getValue(2) instanceof Number a && a.intValue() == 1;
      Object rndValue = meta.getValue(5);
      String rnd = rndValue == null ? "" : rndValue instanceof Number n ? Long.toString(n.longValue()) : rndValue.toString();
      long ts = sentAt.longValue();
      return new Chat(new Danmaku(admin ? DanmakuList.ADMIN : DanmakuList.ROOM, text, uid.longValue(), nickname,
          TIMELINE.format(Instant.ofEpochMilli(ts)), ts, idStr, rnd, ct, command));
    }

    private static String idStr(Object slot) {
      if (!(slot instanceof JsonObject holder) || !(holder.getValue("extra") instanceof String extra)) {
        return null;
      }
      try {
        Object id = new JsonObject(extra).getValue("id_str");
        return id instanceof String s && !s.isEmpty() ? s : null;
      } catch (DecodeException | ClassCastException e) {
        return null;
      }
    }
  }
}
