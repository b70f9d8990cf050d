package io.danmakurelay.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.upstream.DanmakuList;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PushCommandTest {

  /** A DANMU_MSG as the real server sends it (trimmed to the fields that matter, hand-written). */
  static JsonObject danmuMsg(String idStr) {
    JsonArray meta = new JsonArray().add(0).add(1).add(25).add(16777215).add(1764388800123L).add(1234567890L)
        .add(0).add("abcd").add(0).add(0).add(0).add("").add(0).add("{}").add("{}")
        .add(new JsonObject().put("mode", 0).put("extra", "{\"id_str\":\"" + idStr + "\",\"content\":\"x\"}"));
    JsonArray info = new JsonArray().add(meta).add("你好 <b>\\/</b>")
        .add(new JsonArray().add(42).add("昵称").add(1).add(0).add(0).add(10000).add(1).add(""))
        .add(new JsonArray()).add(new JsonArray().add(5)).add(new JsonArray()).add(0).add(3).addNull()
        .add(new JsonObject().put("ts", 1764388800).put("ct", "0A1B2C3D"));
    return new JsonObject().put("cmd", "DANMU_MSG:4:0:2:2:2:0").put("info", info);
  }

  @Test
  @DisplayName("A DANMU_MSG becomes the same Danmaku a gethistory item gives: id_str from info[0][15].extra, ct from info[9], ts from info[0][4]")
  void chat() {
    JsonObject raw = danmuMsg("abc123");
    PushCommand.Chat chat = (PushCommand.Chat) PushCommand.of(raw);
    assertThat(chat.danmaku().idStr()).isEqualTo("abc123");
    assertThat(chat.danmaku().checkCt()).isEqualTo("0A1B2C3D");
    assertThat(chat.danmaku().ts()).isEqualTo(1764388800123L);
    assertThat(chat.danmaku().timeline()).isEqualTo("2025-11-29 12:00:00");
    assertThat(chat.danmaku().text()).isEqualTo("你好 <b>\\/</b>");
    assertThat(chat.danmaku().uid()).isEqualTo(42);
    assertThat(chat.danmaku().nickname()).isEqualTo("昵称");
    assertThat(chat.danmaku().list()).isEqualTo(DanmakuList.ADMIN);
    assertThat(chat.danmaku().rnd()).isEqualTo("1234567890");
    assertThat(chat.danmaku().raw()).isSameAs(raw);
  }

  @Test
  @DisplayName("Other commands are events with the cmd suffix stripped; unknown ones too, counted as other")
  void events() {
    PushCommand.Event gift = (PushCommand.Event) PushCommand.of(new JsonObject().put("cmd", "SEND_GIFT").put("data", 1));
    assertThat(gift.cmd()).isEqualTo("SEND_GIFT");
    PushCommand.Event odd = (PushCommand.Event) PushCommand.of(new JsonObject().put("cmd", "NEW_THING:1:2"));
    assertThat(odd.cmd()).isEqualTo("NEW_THING");
    assertThat(PushCommand.label("NEW_THING")).isEqualTo("other");
    assertThat(PushCommand.label("SUPER_CHAT_MESSAGE")).isEqualTo("SUPER_CHAT_MESSAGE");
  }

  @Test
  @DisplayName("A DANMU_MSG without id_str, text or user is malformed, never an exception")
  void malformed() {
    JsonObject noId = danmuMsg("x");
    noId.getJsonArray("info").getJsonArray(0).set(15, new JsonObject().put("extra", "not json"));
    assertThat(PushCommand.of(noId)).isInstanceOf(PushCommand.Malformed.class);
    assertThat(PushCommand.of(new JsonObject().put("cmd", "DANMU_MSG"))).isInstanceOf(PushCommand.Malformed.class);
    Random random = new Random(3);
    for (int i = 0; i < 2_000; i++) {
      JsonObject broken = danmuMsg("id");
      JsonArray info = broken.getJsonArray("info");
      int slot = random.nextInt(info.size());
      info.set(slot, random.nextBoolean() ? null : "garbage");
      assertThat(PushCommand.of(broken)).isNotNull();
    }
  }

  @Test
  @DisplayName("Reconnect delays double from the initial value up to the maximum, each with half of it jittered")
  void reconnectDelay() {
    ReconnectDelay d = new ReconnectDelay(1_000, 60_000);
    assertThat(d.delayMs(1, 0.0)).isEqualTo(500);
    assertThat(d.delayMs(1, 0.999)).isBetween(999L, 1_000L);
    assertThat(d.delayMs(3, 0.0)).isEqualTo(2_000);
    assertThat(d.delayMs(40, 0.999)).isBetween(59_900L, 60_000L);
    assertThat(d.delayMs(40, 0.0)).isEqualTo(30_000);
  }
}
