package io.danmakurelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.dedupe.RoomDeduper;
import io.danmakurelay.pipeline.FieldMap;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.VideoDanmakuValue;
import io.danmakurelay.upstream.PayloadParser;
import io.danmakurelay.upstream.PollResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  @Test
  @DisplayName("a value on a shared head that holds a type the direct path does not write (after the head or in it) "
      + "encodes as Vert.x encodes it, and the values on that head around it still encode right")
  void unsupportedTypeOnSharedHead() {
    FieldMap.Head part = RecordValues.videoPart(1700031, 170003, "BV17x411w7Kr", 1);
    FieldMap.Head oddHead = new FieldMap.Head(new FieldMap(2).append("cid", 1L).append("flag", true));
    JsonObject plain = RecordValues.videoDanmaku(part, "1", 1500, 1, 25, 0xFFFFFFL, 1500000000, 0, "ab", "x\u00e9",
        1764388801234L, "1.5,1,25,16777215,1500000000,0,ab,1");
    JsonEncoder encoder = new JsonEncoder();
    JsonObject[] values = {
        plain,
        new JsonObject(new FieldMap(part, 8).append("id", "2").append("ratio", 0.5).append("text", "y")),
        plain,
        new JsonObject(new FieldMap(part, 8).append("id", "3").append("nested", new JsonObject().put("a", 1))),
        new JsonObject(new FieldMap(part, 8).append("id", "4").append("on", Boolean.FALSE)),
        plain,
        new JsonObject(new FieldMap(oddHead, 4).append("id", "5")),
        new JsonObject(new FieldMap(oddHead, 4).append("id", "6")),
        plain};
    for (JsonObject value : values) {
      assertThat(new String(encoder.encode(value), StandardCharsets.UTF_8))
          .isEqualTo(new String(value.toBuffer().getBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  @DisplayName("a room's dedupe state and arrays of every element type encode to the bytes Vert.x's own encoding gives")
  void arraysSameBytesAsVertx() {
    RoomDeduper deduper = new RoomDeduper(21452505L);
    deduper.accept(window("a", "b", "b", "c"));
    deduper.accept(window("b", "c", "d", "d", "e"));
    JsonObject state = new JsonObject().put("dedupe", deduper.snapshot()).put("seq", 5L);
    assertThat(state.getJsonObject("dedupe").getJsonObject("room").getJsonArray("history")).hasSize(5);

    Map<String, Object> rawMap = new LinkedHashMap<>();
    rawMap.put("k", List.of("v", 1L));
    List<Object> elements = new ArrayList<>(Arrays.asList("s", 1L, 2, null, true, 0.5, 3.0f, (short) 4,
        new byte[] {1, 2, 3}, Buffer.buffer("xyz"), Instant.ofEpochSecond(1764388800L, 5), Thread.State.NEW,
        rawMap, List.of("in", 2L), new JsonObject().put("o", 1), new JsonArray().add("a").add(new JsonArray()),
        "\"q\" \\ \u0001 😀 中文"));
    JsonObject mixed = new JsonObject().put("list", new JsonArray(elements));

    JsonEncoder encoder = new JsonEncoder();
    for (JsonObject value : new JsonObject[] {state, mixed, state}) {
      assertThat(new String(encoder.encode(value), StandardCharsets.UTF_8))
          .isEqualTo(new String(value.toBuffer().getBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  @DisplayName("strings that start plain and turn to escapes, non-ASCII or surrogates at any position (and strings of "
      + "any mix of them) encode byte for byte as Vert.x encodes them")
  void stringsSameBytesAsVertx() {
    char[] kinds = {'a', '~', '\u007f', ' ', '"', '\\', '\n', '\u0001', '\u001f', '\u00e9', '\u00ff', '\u0100', '\u07ff',
        '\u0800', '\u4e2d', '\u4e22', '\ud83d', '\ude00', '\uffff'};
    java.util.Random random = new java.util.Random(12);
    List<String> strings = new ArrayList<>(List.of("", "1700031000000001", "12.34500,1,25,16777215,1500000000,0,ab,1"));
    for (char kind : kinds) {
      for (int plain = 0; plain < 40; plain += 7) {
        strings.add("x".repeat(plain) + kind + "tail" + kind);
      }
    }
    for (int i = 0; i < 2_000; i++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(60);
      for (int j = 0; j < length; j++) {
        s.append(random.nextInt(3) == 0 ? kinds[random.nextInt(kinds.length)] : (char) (0x20 + random.nextInt(0x5f)));
      }
      strings.add(s.toString());
    }
    FieldMap.Head part = RecordValues.videoPart(1700031, 170003, "BV17x411w7Kr", 1);
    JsonEncoder encoder = new JsonEncoder();
    for (String s : strings) {
      JsonObject value = RecordValues.videoDanmaku(part, s, 1500, 1, 25, 0xFFFFFFL, 1500000000, 0, s, s,
          1764388801234L, s);
      assertThat(encoder.encode(value)).as("%s", s).isEqualTo(value.toBuffer().getBytes());
    }
  }

  @Test
  @DisplayName("a video danmaku whose id and sender hash stand in its raw p (a parsed pool's) encodes byte for byte as "
      + "the same value with those substrings, as Vert.x encodes either, and reads back as those strings")
  void inRawSameBytesAsStrings() {
    char[] kinds = {'a', '~', '\u007f', ',', '"', '\\', '\n', '\u0001', '\u00e9', '\u0800', '\u4e2d', '\ud83d', '\ude00'};
    java.util.Random random = new java.util.Random(7);
    List<String> sources = new ArrayList<>(List.of("", "12.34500,1,25,16777215,1500000000,0,abcdef12,1700031000000001",
        "1.5,1,25,16777215,1500000000,0,\u4e2d\u6587,42,10"));
    for (int i = 0; i < 1_000; i++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(80);
      for (int j = 0; j < length; j++) {
        s.append(random.nextInt(3) == 0 ? kinds[random.nextInt(kinds.length)] : (char) (0x20 + random.nextInt(0x5f)));
      }
      sources.add(s.toString());
    }
    FieldMap.Head part = RecordValues.videoPart(1700031, 170003, "BV17x411w7Kr", 1);
    FieldMap.Head other = RecordValues.videoPart(1700032, 170003, "BV17x411w7Kr", 2);
    JsonEncoder inRaw = new JsonEncoder();
    JsonEncoder strings = new JsonEncoder();
    int plainOnes = 0;
    for (String p : sources) {
      boolean plain = p.chars().allMatch(c -> c >= 0x20 && c < 0x80 && c != '"' && c != '\\');
      for (int cut = 0; cut < 6; cut++) {
        // Ids are digits where the parser cuts them (it promises that); the hash may be anything in p.
        int from = random.nextInt(p.length() + 1);
        int to = from;
        while (to < p.length() && p.charAt(to) >= '0' && p.charAt(to) <= '9' && random.nextInt(8) > 0) {
          to++;
        }
        int hashFrom = random.nextInt(p.length() + 1);
        int hashTo = hashFrom + random.nextInt(p.length() - hashFrom + 1);
        FieldMap.Head head = random.nextInt(4) == 0 ? other : part;
        long fetchedAt = random.nextInt(3) == 0 ? random.nextLong() : 1764388801234L;
        long color = random.nextBoolean() ? 0xFFFFFFL : random.nextInt(0x1000000);
        String text = random.nextInt(10) == 0 ? null : p;
        JsonObject withPlaces = new JsonObject(VideoDanmakuValue.inRaw(head, p, from, to, random.nextLong(), 1, 25,
            color, random.nextInt(), 0, hashFrom, hashTo, text, fetchedAt, plain && random.nextBoolean()));
        VideoDanmakuValue places = (VideoDanmakuValue) withPlaces.getMap();
        JsonObject withStrings = RecordValues.videoDanmaku(head, p.substring(from, to), places.progressMs(), 1, 25,
            color, places.ctime(), 0, p.substring(hashFrom, hashTo), text, fetchedAt, p);
        byte[] encoded = inRaw.encode(withPlaces);
        assertThat(places.builtFields()).as("encoding builds no map").isNull();
        byte[] expected = withStrings.toBuffer().getBytes();
        assertThat(encoded).as("%s [%d, %d)", p, from, to).isEqualTo(expected).isEqualTo(strings.encode(withStrings));
        // Read as a map (which builds it), it holds the same strings and encodes the same.
        assertThat(withPlaces.getString("id")).isEqualTo(p.substring(from, to));
        assertThat(withPlaces.getString("sender_hash")).isEqualTo(p.substring(hashFrom, hashTo));
        assertThat(withPlaces.getLong("color")).isEqualTo(color);
        assertThat(withPlaces).isEqualTo(withStrings);
        assertThat(withPlaces.toBuffer().getBytes()).isEqualTo(expected);
        assertThat(inRaw.encode(withPlaces)).isEqualTo(expected);
        assertThat(withPlaces.copy().fieldNames()).containsExactlyInAnyOrderElementsOf(withStrings.fieldNames());
        if (places.plainRaw()) {
          plainOnes++;
        }
      }
    }
    assertThat(plainOnes).isGreaterThan(100);
  }

  @Test
  @DisplayName("a video danmaku changed as a map after it was made (a field set, added or removed) encodes as the map "
      + "it became, and values on the same head around it still encode right")
  void changedVideoDanmakuEncodesAsItsMap() {
    FieldMap.Head part = RecordValues.videoPart(1700031, 170003, "BV17x411w7Kr", 1);
    java.util.function.Supplier<JsonObject> fresh = () -> new JsonObject(VideoDanmakuValue.inRaw(part,
        "1.5,1,25,16777215,1500000000,0,ab,42", 34, 36, 1500, 1, 25, 0xFFFFFFL, 1500000000, 0, 31, 33, "t",
        1764388801234L, true));
    JsonEncoder encoder = new JsonEncoder();
    JsonObject[] values = {
        fresh.get(),
        fresh.get().put("bvid", "BVx"),
        fresh.get(),
        fresh.get().put("seq", 9L),
        fresh.get().put("text", new JsonObject().put("nested", true)),
        fresh.get(),
        fresh.get().put("cid", 5L),
        fresh.get()};
    values[5].remove("raw");
    for (JsonObject value : values) {
      assertThat(new String(encoder.encode(value), StandardCharsets.UTF_8))
          .isEqualTo(new String(value.toBuffer().getBytes(), StandardCharsets.UTF_8));
    }
    assertThat(new JsonObject(new String(encoder.encode(values[0]), StandardCharsets.UTF_8)).getString("id"))
        .isEqualTo("42");
    assertThat(new JsonObject(new String(encoder.encode(values[3]), StandardCharsets.UTF_8)).getLong("seq")).isEqualTo(9L);
  }

  @Test
  @DisplayName("a fetched_at shared between video danmaku (its digits kept) and ones that differ in each, the colour white "
      + "and others, and Longs in maps, in any order, encode byte for byte as Vert.x encodes them")
  void sharedLongsSameBytesAsVertx() {
    FieldMap.Head part = RecordValues.videoPart(1700031, 170003, "BV17x411w7Kr", 1);
    java.util.Random random = new java.util.Random(12);
    Long[] shared = {1764388801234L, 1764388809999L, 0L, Long.MIN_VALUE, Long.MAX_VALUE, -1L};
    JsonEncoder encoder = new JsonEncoder();
    for (int i = 0; i < 500; i++) {
      Long fetchedAt = random.nextInt(4) == 0 ? Long.valueOf(random.nextLong()) : shared[random.nextInt(shared.length)];
      long color = random.nextBoolean() ? 0xFFFFFFL : random.nextInt(0x1000000);
      JsonObject value = RecordValues.videoDanmaku(part, "1", random.nextLong(), 1, 25, color, random.nextInt(), 0, "ab",
          "x", fetchedAt, "p");
      assertThat(encoder.encode(value)).as("value %d", i).isEqualTo(value.toBuffer().getBytes());
      JsonObject map = new JsonObject().put("a", fetchedAt).put("b", shared[random.nextInt(shared.length)]);
      assertThat(encoder.encode(map)).isEqualTo(map.toBuffer().getBytes());
    }
  }

  private static PollResult.Success window(String... texts) {
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < texts.length; i++) {
      items.append(i == 0 ? "" : ",").append("{\"text\":\"").append(texts[i]).append("\",\"uid\":").append(i + 1)
          .append(",\"nickname\":\"n\",\"timeline\":\"2026-11-29 12:00:0").append(i).append("\",\"rnd\":\"r\"}");
    }
    String body = "{\"code\":0,\"message\":\"\",\"msg\":\"\",\"data\":{\"admin\":[],\"room\":[" + items + "]}}";
    return (PollResult.Success) PayloadParser.parsePoll(200, "application/json", Buffer.buffer(body));
  }
}
