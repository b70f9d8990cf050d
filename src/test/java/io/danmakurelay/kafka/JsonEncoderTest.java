package io.danmakurelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.pipeline.RecordValues;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JsonEncoderTest {

  @Test
  @DisplayName("values encode to the bytes Vert.x's own encoding gives, one after another with one generator")
  void sameBytesAsVertx() {
    JsonObject video = RecordValues.videoDanmaku(1700031, 170003, "BV17x411w7Kr", 1, "1700031000000001", 12345, 1, 25,
        16777215, 1500000000, 0, "abcdef12", "\"<x>\" & \\ \u0001 😀 中文 \u2028", 1764388801234L,
        "12.34500,1,25,16777215,1500000000,0,abcdef12,1700031000000001,10").put("seq", 7L);
    JsonObject room = new JsonObject().put("room_id", 21452505).put("text", "t").put("flag", true).put("none", (Object) null)
        .put("ratio", 0.25).put("raw", new JsonObject().put("list", new JsonArray().add(1).add("a").add(new JsonObject())))
        .put("bytes", new byte[] {1, 2, 3});
    JsonEncoder encoder = new JsonEncoder();
    for (JsonObject value : new JsonObject[] {video, room, video, new JsonObject()}) {
      assertThat(new String(encoder.encode(value), StandardCharsets.UTF_8))
          .isEqualTo(new String(value.toBuffer().getBytes(), StandardCharsets.UTF_8));
    }
    assertThat(new JsonObject(new String(encoder.encode(video), StandardCharsets.UTF_8)).fieldNames())
        .containsExactly("cid", "aid", "bvid", "page", "id", "progress_ms", "mode", "fontsize", "color", "ctime", "pool",
            "sender_hash", "text", "fetched_at", "raw", "seq");
  }
}
