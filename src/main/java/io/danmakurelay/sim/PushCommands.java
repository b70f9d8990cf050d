package io.danmakurelay.sim;

import io.danmakurelay.upstream.DanmakuList;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.SplittableRandom;

/**
 * Renders the push stream's commands (SPEC §1b) as the real server spells them: {@code DANMU_MSG} with its
 * {@code info} array (the same {@code id_str}, {@code check_info.ct} and rnd as the message's
 * {@code gethistory} item), and the other commands a room sends (gifts, super chats, entries, counters,
 * live status). Pure: messages and random draws in, JSON out. Every non-chat command carries
 * {@code sim_id}, the simulator's ground-truth key for it.
 */
final class PushCommands {

  /** The commands {@link #randomEvent} draws from, and their weights. */
  static final String[] EVENT_CMDS = {
      "SEND_GIFT", "INTERACT_WORD", "SUPER_CHAT_MESSAGE", "GUARD_BUY", "WATCHED_CHANGE", "ONLINE_RANK_COUNT",
      "ENTRY_EFFECT", "INTERACT_WORD_V2"};
  private static final int[] EVENT_WEIGHTS = {30, 30, 5, 2, 10, 10, 8, 5};

  private PushCommands() {}

  /** The {@code DANMU_MSG} command of a generated message; the cmd carries the usual suffix. */
  static JsonObject danmuMsg(SimMessage m, long anchorUid) {
    long uid = m.uid();
    int level = (int) (uid % 40) + 1;
    JsonObject extra = new JsonObject()
        .put("send_from_me", false).put("mode", 0).put("color", 16777215).put("dm_type", 0).put("font_size", 25)
        .put("player_mode", 1).put("show_player_type", 0).put("content", m.text()).put("user_hash", "0")
        .put("emoticon_unique", "").put("bulge_display", 0).put("recommend_score", 0).put("main_state_dm_color", "")
        .put("objective_state_dm_color", "").put("direction", 0).put("pk_direction", 0).put("quartet_direction", 0)
        .put("anniversary_crowd", 0).put("yeah_space_type", "").put("yeah_space_url", "").put("jump_to_url", "")
        .put("space_type", "").put("space_url", "").put("animation", new JsonObject()).put("emots", null)
        .put("is_audited", false).put("id_str", m.idStr()).put("icon", null).put("show_reply", true)
        .put("reply_mid", 0).put("reply_uname", "").put("reply_uname_color", "").put("reply_is_mystery", false)
        .put("hit_combo", 0);
    JsonArray meta = new JsonArray()
        .add(0).add(1).add(25).add(16777215).add(m.tsMs()).add(Long.parseLong(m.rnd())).add(0)
        .add(String.format("%08x", (int) uid)).add(0).add(0).add(0).add("").add(0).add("{}").add("{}")
        .add(new JsonObject().put("mode", 0).put("show_player_type", 0).put("extra", extra.encode()))
        .add(new JsonObject().put("activity_identity", "").put("activity_source", 0).put("not_show", 0))
        .add(0);
    JsonArray medal = new JsonArray();
    if (uid % 3 == 0) {
      medal.add(uid % 20 + 1).add("粉丝团").add("主播" + (m.roomId() % 1000)).add(m.roomId()).add(6067854)
          .add("").add(0).add(6067854).add(6067854).add(6067854).add(0).add(0).add(anchorUid);
    }
    JsonArray info = new JsonArray()
        .add(meta)
        .add(m.text())
        .add(new JsonArray().add(uid).add(m.nickname()).add(m.list() == DanmakuList.ADMIN ? 1 : 0)
            .add(uid % 7 == 0 ? 1 : 0).add(uid % 21 == 0 ? 1 : 0).add(10000).add(1).add(""))
        .add(medal)
        .add(new JsonArray().add(level).add(0).add(9868950).add(">50000").add(0))
        .add(new JsonArray().add(uid % 11 == 0 ? "title-111-1" : "").add(uid % 11 == 0 ? "title-111-1" : ""))
        .add(0)
        .add(uid % 13 == 0 ? 3 : 0)
        .addNull()
        .add(new JsonObject().put("ts", Math.floorDiv(m.tsMs(), 1000L)).put("ct", m.ct()))
        .add(0).add(0).addNull().addNull().add(0).add(105)
        .add(new JsonArray().add((int) (uid % 30)));
    return new JsonObject().put("cmd", "DANMU_MSG:4:0:2:2:2:0").put("info", info).put("dm_v2", "");
  }

  /** A random non-chat command of a room; {@code simId} is its ground-truth key. */
  static JsonObject randomEvent(SplittableRandom rng, long roomId, long nowMs, String simId) {
    int total = 0;
    for (int w : EVENT_WEIGHTS) {
      total += w;
    }
    int pick = rng.nextInt(total);
    int i = 0;
    while (pick >= EVENT_WEIGHTS[i]) {
      pick -= EVENT_WEIGHTS[i];
      i++;
    }
    String cmd = EVENT_CMDS[i];
    long uid = 10_000_000L + rng.nextLong(1_000_000_000L);
    String uname = "观众" + (uid % 100_000);
    long seconds = nowMs / 1000;
    JsonObject data = switch (cmd) {
      case "SEND_GIFT" -> new JsonObject().put("giftName", "辣条").put("giftId", 1).put("num", 1 + rng.nextInt(10))
          .put("uname", uname).put("uid", uid).put("price", 100).put("coin_type", "gold").put("action", "投喂")
          .put("timestamp", seconds).put("tid", simId).put("rnd", Long.toString(nowMs));
      case "INTERACT_WORD" -> new JsonObject().put("uid", uid).put("uname", uname).put("msg_type", 1)
          .put("roomid", roomId).put("timestamp", seconds).put("trigger_time", nowMs * 1_000_000L);
      case "SUPER_CHAT_MESSAGE" -> new JsonObject().put("id", rng.nextInt(1, Integer.MAX_VALUE)).put("uid", uid)
          .put("price", 30).put("message", "醒目留言 <b>&\"'</b> 🎉").put("start_time", seconds)
          .put("end_time", seconds + 60).put("time", 60)
          .put("user_info", new JsonObject().put("uname", uname).put("face", ""));
      case "GUARD_BUY" -> new JsonObject().put("uid", uid).put("username", uname).put("guard_level", 3)
          .put("num", 1).put("price", 198000).put("gift_name", "舰长").put("start_time", seconds);
      case "WATCHED_CHANGE" -> {
        int n = rng.nextInt(1, 100_000);
        yield new JsonObject().put("num", n).put("text_small", Integer.toString(n)).put("text_large", n + "人看过");
      }
      case "ONLINE_RANK_COUNT" -> new JsonObject().put("count", rng.nextInt(1, 5000)).put("count_text", "");
      case "ENTRY_EFFECT" -> new JsonObject().put("uid", uid).put("copy_writing", "欢迎 <%" + uname + "%> 进入直播间");
      default -> new JsonObject().put("dmscore", 0).put("pb", "CgQIARAB" + Long.toHexString(uid));
    };
    JsonObject command = new JsonObject().put("cmd", cmd).put("data", data).put("sim_id", simId);
    if (cmd.equals("SUPER_CHAT_MESSAGE")) {
      command.put("roomid", roomId);
    }
    return command;
  }

  /** {@code LIVE} or {@code PREPARING}: the room's live status changed. */
  static JsonObject liveStatus(boolean live, long roomId, long nowMs, String simId) {
    JsonObject command = new JsonObject().put("cmd", live ? "LIVE" : "PREPARING").put("roomid", roomId)
        .put("sim_id", simId);
    if (live) {
      command.put("live_key", Long.toString(nowMs)).put("live_platform", "pc").put("live_time", nowMs / 1000);
    }
    return command;
  }
}
