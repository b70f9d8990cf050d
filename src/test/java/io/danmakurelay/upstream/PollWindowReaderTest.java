package io.danmakurelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.dedupe.FreshMessage;
import io.danmakurelay.kafka.RecordFormat;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.sim.TrafficModel;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

// The streaming reader against the tree it replaced (PayloadParser.parsePollTree, the reference): the same
// result for every answer, and record values whose bytes differ only where raw now is the item as received.
class PollWindowReaderTest {

  private static final String JSON = "application/json; charset=utf-8";
  private static final long T0 = Instant.parse("2026-11-29T04:00:00Z").toEpochMilli();

  /** Both parsers on one answer: same class, same failure, same messages (raw as a JSON value). */
  private static PollResult sameAsTree(int status, String body) {
    PollResult fast = PayloadParser.parsePoll(status, JSON, Buffer.buffer(body));
    PollResult tree = PayloadParser.parsePollTree(status, JSON, Buffer.buffer(body));
    assertThat(fast.getClass()).as(body).isEqualTo(tree.getClass());
    if (tree instanceof PollResult.Failure) {
      assertThat(fast).as(body).isEqualTo(tree);
      return fast;
    }
    PollResult.Success f = (PollResult.Success) fast;
    PollResult.Success t = (PollResult.Success) tree;
    sameItems(body, f.room(), t.room());
    sameItems(body, f.admin(), t.admin());
    return fast;
  }

  private static void sameItems(String body, List<Danmaku> fast, List<Danmaku> tree) {
    assertThat(fast).as(body).hasSameSizeAs(tree);
    for (int i = 0; i < fast.size(); i++) {
      Danmaku f = fast.get(i);
      Danmaku t = tree.get(i);
      assertThat(withoutRaw(f)).as(body).isEqualTo(withoutRaw(t));
      assertThat(f.raw()).as(body).isEqualTo(t.raw());
      if (f.rawBytes() != null) {
        assertThat(body).as("raw bytes are a piece of the body").contains(new String(f.rawBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  private static Danmaku withoutRaw(Danmaku d) {
    return new Danmaku(d.list(), d.text(), d.uid(), d.nickname(), d.timeline(), d.ts(), d.idStr(), d.rnd(), d.checkCt(),
        null, null);
  }

  private static List<Danmaku> all(PollResult result) {
    PollResult.Success success = (PollResult.Success) result;
    List<Danmaku> all = new ArrayList<>(success.admin());
    all.addAll(success.room());
    return all;
  }

  @ParameterizedTest(name = "gethistory: {0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("the simulator's answers of both APIs read as through the tree, every item kept as its own bytes")
  void simulatorAnswers(boolean modern) {
    TrafficModel model = new TrafficModel(SimulatorSettings.defaults(0, 20, 200, 7).withTraffic(0.05, 0.3), T0);
    int items = 0;
    for (long t = T0 + 1_000; t <= T0 + 60_000; t += 1_500) {
      for (long room : model.realIds()) {
        String body = model.pollBody(room, modern, t);
        for (Danmaku d : all(sameAsTree(200, body))) {
          assertThat(d.rawBytes()).as("the streaming reader took this answer").isNotNull();
          items++;
        }
      }
    }
    assertThat(items).isGreaterThan(1_000);
  }

  @Test
  @DisplayName("a record value differs from the tree's only in raw, which is the item's bytes exactly as received; "
      + "where the upstream spells an item as the tree would (compact, no escapes), the bytes are identical")
  void recordValuesAroundTheItemsBytes() {
    RecordFormat format = new RecordFormat(ConfigLoader.load(null, Map.of(), List.of()).kafka());
    int identical = 0;
    int respelled = 0;
    for (boolean modern : new boolean[] {false, true}) {
      TrafficModel model = new TrafficModel(SimulatorSettings.defaults(0, 5, 100, 11).withTraffic(0.05, 0.3), T0);
      for (long t = T0 + 2_000; t <= T0 + 30_000; t += 2_000) {
        for (long room : model.realIds()) {
          String body = model.pollBody(room, modern, t);
          List<Danmaku> fast = all(PayloadParser.parsePoll(200, JSON, Buffer.buffer(body)));
          List<Danmaku> tree = all(PayloadParser.parsePollTree(200, JSON, Buffer.buffer(body)));
          for (int i = 0; i < fast.size(); i++) {
            String mine = recordText(format, room, RecordValues.danmaku(room, fresh(fast.get(i)), T0 + 5));
            String reference = recordText(format, room, valueBeforeTheReader(room, tree.get(i)));
            String rawBytes = new String(fast.get(i).rawBytes(), StandardCharsets.UTF_8);
            int rawAt = reference.indexOf(",\"raw\":") + ",\"raw\":".length();
            int seqAt = reference.lastIndexOf(",\"seq\":");
            assertThat(mine).isEqualTo(reference.substring(0, rawAt) + rawBytes + reference.substring(seqAt));
            assertThat(new JsonObject(mine)).isEqualTo(new JsonObject(reference));
            if (mine.equals(reference)) {
              identical++;
            } else {
              respelled++;
            }
          }
        }
      }
    }
    // The legacy API escapes every non-ASCII character and '/', which the tree decoded; the modern one (Go) writes
    // UTF-8 and escapes only <>& — both kinds occur, or this test would prove nothing.
    assertThat(identical).isPositive();
    assertThat(respelled).isPositive();
  }

  private static FreshMessage fresh(Danmaku d) {
    return new FreshMessage(d, "id-" + d.rnd());
  }

  /** The record value as built before the streaming reader: a tree of the item under raw. */
  private static JsonObject valueBeforeTheReader(long room, Danmaku d) {
    return new JsonObject().put("room_id", room).put("id", fresh(d).id()).put("list", d.list().wireName())
        .put("uid", d.uid()).put("nickname", d.nickname()).put("text", d.text()).put("timeline", d.timeline())
        .put("ts", d.ts()).put("fetched_at", T0 + 5).put("raw", d.raw());
  }

  /** The bytes the sink writes for the value, numbered as the pipeline numbers it. */
  private static String recordText(RecordFormat format, long room, JsonObject value) {
    SourceItem item = new SourceItem(value, 0);
    value.put("seq", 42L);
    SourceBatch batch = new SourceBatch(StreamKey.room(room), "ajax-msg", List.of(item), new JsonObject());
    return new String(format.records(new SequencedBatch(batch, 42, new JsonObject())).get(0).value(),
        StandardCharsets.UTF_8);
  }

  private static final String ITEM = "{\"text\":\"hi\",\"uid\":5,\"nickname\":\"n\",\"timeline\":\"2026-11-29 12:00:00\"}";

  private static String answer(String room) {
    return "{\"code\":0,\"data\":{\"admin\":[],\"room\":[" + room + "]},\"message\":\"\",\"msg\":\"\"}";
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "null", "[]", "{}", "{\"code\":0}", "{\"code\":0,\"data\":null}", "{\"code\":0,\"data\":[]}",
      "{\"code\":0,\"data\":\"x\"}", "{\"code\":0,\"data\":{}}", "{\"data\":{\"room\":[]},\"code\":0}",
      "{\"code\":\"0\",\"data\":{\"room\":[]}}", "{\"code\":0.0,\"data\":{\"room\":[]}}", "{\"code\":-0,\"data\":{}}",
      "{\"code\":1,\"data\":{\"room\":[]},\"message\":\"nope\"}", "{\"code\":0,\"code\":1,\"data\":{}}",
      "{\"code\":0,\"data\":{},\"data\":{\"room\":[" + ITEM + "]}}",
      "{\"code\":0,\"data\":{\"room\":[],\"room\":[" + ITEM + "]}}",
      "{\"code\":0,\"data\":{\"room\":null,\"admin\":null}}", "{\"code\":0,\"data\":{\"room\":{}}}",
      "{\"code\":0,\"data\":{\"room\":\"x\"}}", "{\"code\":0,\"data\":{\"room\":[1]}}",
      "{\"code\":0,\"data\":{\"room\":[null]}}", "{\"code\":{\"a\":[0]},\"data\":{\"room\":[]}}",
      "{\"code\":0,\"extra\":{\"a\":[1,{\"b\":null}]},\"data\":{\"x\":[{}],\"room\":[" + ITEM + "]}}",
      "  {\"code\":0,\"data\":{\"room\":[" + ITEM + "]}}",
      "{ \"code\" : 0 ,\n \"data\" : { \"room\" : [ { \"text\" : \"a b\" , \"uid\" : 1 , \"timeline\" : \"2026-11-29 12:00:00\" } ] } }",
      "{\"code\":0,\"data\":{\"room\":[" + ITEM + "]}} x", "{\"code\":0,\"data\":{\"room\":[" + ITEM + "]}}{}",
      "{\"code\":0,\"data\":{\"room\":[" + ITEM + "]}", "{\"code\":0,\"data\":{\"room\":[" + ITEM + "]}} ",
      "{\"code\":0,/* c */\"data\":{\"room\":[" + ITEM + "]}}", "\uFEFF{\"code\":0,\"data\":{\"room\":[" + ITEM + "]}}",
      "{\"code\":0,\"data\":{\"room\":[{\"text\":\"\\u4f60\\/\\ud800\\\"\",\"uid\":5,\"timeline\":\"2026-11-29 12:00:00\"}]}}",
      "<html><body>412</body></html>", "{\"code\":-412,\"message\":\"banned\"}",
      "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1,\"timeline\":\"2026-11-29 12:00:00\",\"text\":7}]}}",
      "{\"code\":0,\"data\":{\"room\":[{\"text\":7,\"uid\":1,\"timeline\":\"2026-11-29 12:00:00\",\"text\":\"b\"}]}}",
      "{\"code\":0,\"data\":{\"room\":[{\"text\":{\"a\":[1,{\"text\":2}]},\"uid\":1,\"timeline\":\"x\"}]}}",
      "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1,\"timeline\":\"2026-11-29 12:00:00\","
          + "\"check_info\":{\"ts\":{\"ts\":1},\"ct\":[\"x\"],\"more\":{}},\"id_str\":[1]}]}}",
      "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1,\"timeline\":\"bad\","
          + "\"check_info\":{\"ts\":1764388804,\"ct\":\"AB\"},\"check_info\":{\"ct\":\"CD\"}}]}}",
  })
  @DisplayName("edge-case answers get the tree's result, failure reasons included")
  void edgeCases(String body) {
    sameAsTree(200, body);
    sameAsTree(500, body);
  }

  @Test
  @DisplayName("thousands of generated items (every field's odd types, repeats, order, spacing) read as through the tree")
  void generatedItems() {
    Random random = new Random(20261202);
    int fastTaken = 0;
    for (int n = 0; n < 3_000; n++) {
      int count = random.nextInt(4);
      StringBuilder room = new StringBuilder();
      for (int i = 0; i < count; i++) {
        room.append(i == 0 ? "" : ",").append(item(random));
      }
      String space = random.nextInt(5) == 0 ? " " : "";
      String body = "{\"code\":0," + space + "\"data\":{\"admin\":[" + (random.nextBoolean() ? item(random) : "")
          + "]," + space + "\"room\":[" + room + "]}}";
      PollResult result = sameAsTree(200, body);
      if (result instanceof PollResult.Success s && !all(s).isEmpty() && all(s).get(0).rawBytes() != null) {
        fastTaken++;
      }
    }
    assertThat(fastTaken).as("answers the streaming reader took").isGreaterThan(300);
  }

  private static final String[][] VARIANTS = {
      {"\"text\":\"hello\"", "\"text\":\"\\u4f60 \\/ \\n\"", "\"text\":\"😀 <b>\"", "\"text\":5", "\"text\":null",
          "\"text\":{\"a\":1}", "\"text\":[\"x\"]", ""},
      {"\"uid\":12345", "\"uid\":\"678\"", "\"uid\":\" 9 \"", "\"uid\":1.0", "\"uid\":1e3", "\"uid\":-0",
          "\"uid\":123456789012345678901234", "\"uid\":true", "\"uid\":\"x\"", "\"uid\":{}", ""},
      {"\"timeline\":\"2026-11-29 12:00:00\"", "\"timeline\":\"2026-02-30 12:00:00\"", "\"timeline\":\"soon\"",
          "\"timeline\":7", ""},
      {"\"nickname\":\"nick\"", "\"nickname\":null", "\"nickname\":3", ""},
      {"\"check_info\":{\"ts\":1764388804,\"ct\":\"3F6B2A1C\"}", "\"check_info\":{\"ts\":\"1764388804\"}",
          "\"check_info\":{\"ts\":-5,\"ct\":7}", "\"check_info\":{\"ts\":1.5}", "\"check_info\":[]",
          "\"check_info\":null", "\"check_info\":{\"ts\":99999999999999999}", ""},
      {"\"id_str\":\"8f4e0a13\"", "\"id_str\":12", "\"id_str\":123456789012345678901234", "\"id_str\":1.5e3",
          "\"id_str\":null", ""},
      {"\"rnd\":\"1764388790\"", "\"rnd\":1764388795", "\"rnd\":-0", "\"rnd\":2.5", "\"rnd\":false", ""},
      {"\"medal\":[21,\"x\",[{}]]", "\"user\":{\"base\":{\"face\":\"https:\\/\\/x\"}}", "\"emots\":null",
          "\"ratio\":0.25", ""},
  };

  /** An item whose fields take random variants, in random order, sometimes one twice, sometimes spaced. */
  private static String item(Random random) {
    List<String> fields = new ArrayList<>();
    for (String[] variants : VARIANTS) {
      // Mostly well-formed (the first variant), so that many answers are taken by the streaming reader.
      String field = random.nextInt(3) > 0 ? variants[0] : variants[random.nextInt(variants.length)];
      if (!field.isEmpty()) {
        fields.add(field);
      }
      if (random.nextInt(20) == 0) {
        fields.add(variants[random.nextInt(variants.length)]);
      }
    }
    fields.removeIf(String::isEmpty);
    if (random.nextInt(4) == 0) {
      java.util.Collections.shuffle(fields, random);
    }
    String separator = random.nextInt(6) == 0 ? " , " : ",";
    return "{" + String.join(separator, fields) + "}";
  }

  @ParameterizedTest(name = "gethistory: {0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("bytes that are not UTF-8 inside a field the reader skips never reach raw: such an answer is read by "
      + "the general path, or refused, and every raw kept is valid UTF-8")
  void invalidUtf8InASkippedField(boolean modern) throws Exception {
    TrafficModel model = new TrafficModel(SimulatorSettings.defaults(0, 3, 50, 11).withTraffic(0.0, 0.0), T0);
    long room = model.realIds().get(0);
    String body = model.pollBody(room, modern, T0 + 30_000);
    int at = body.indexOf("\"text\":");
    assertThat(at).as("the answer holds an item").isPositive();
    byte[][] bad = {{(byte) 0xFF}, {(byte) 0xC3, (byte) 0x28}, {(byte) 0xE4, (byte) 0xB8}, {(byte) 0xED, (byte) 0xA0,
        (byte) 0x80}};
    for (byte[] b : bad) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      out.write(body.substring(0, at).getBytes(StandardCharsets.UTF_8));
      out.write("\"zz_unread\":\"x".getBytes(StandardCharsets.UTF_8));
      out.write(b);
      out.write("y\",".getBytes(StandardCharsets.UTF_8));
      out.write(body.substring(at).getBytes(StandardCharsets.UTF_8));
      PollResult result = PayloadParser.parsePoll(200, JSON, Buffer.buffer(out.toByteArray()));
      if (result instanceof PollResult.Success) {
        for (Danmaku d : all(result)) {
          if (d.rawBytes() != null) {
            assertThat(validUtf8(d.rawBytes())).as("raw of %s with bytes %s", d.idStr(), java.util.Arrays.toString(b))
                .isTrue();
          }
        }
      }
    }
  }

  private static boolean validUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }
}
