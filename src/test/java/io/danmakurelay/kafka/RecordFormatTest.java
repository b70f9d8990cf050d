package io.danmakurelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.pipeline.FieldMap;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.pipeline.VideoDanmakuValue;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.testsupport.RecordingSink;
import io.danmakurelay.video.Pool;
import io.danmakurelay.video.PoolDanmaku;
import io.danmakurelay.video.PoolDecoder;
import io.danmakurelay.video.PoolParser;
import io.danmakurelay.video.VideoVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The video records' bytes (SPEC §4): the direct encoding of a part's values (its head encoded once per batch,
 * strings and numbers written straight into bytes) against the old encoding, Vert.x's own {@code toBuffer()} of the
 * same value as a plain {@code JsonObject}, byte for byte.
 */
class RecordFormatTest {

  static final long NOW = 1_764_388_801_234L;

  final RecordFormat format = new RecordFormat(ConfigLoader.load(null, Map.of(), List.<String>of()).kafka());

  /** The value as the relay built it before heads and the direct path: a LinkedHashMap, encoded by Vert.x. */
  static byte[] oldBytes(long cid, long aid, String bvid, int page, PoolDanmaku d, long now) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("cid", cid);
    fields.put("aid", aid);
    fields.put("bvid", bvid);
    fields.put("page", page);
    fields.put("id", d.dmid());
    fields.put("progress_ms", d.progressMs());
    fields.put("mode", d.mode());
    fields.put("fontsize", d.fontsize());
    fields.put("color", d.color());
    fields.put("ctime", d.ctime());
    fields.put("pool", d.pool());
    fields.put("sender_hash", d.senderHash());
    fields.put("text", d.text());
    fields.put("fetched_at", now);
    fields.put("raw", d.rawP());
    return new JsonObject(fields).toBuffer().getBytes();
  }

  /** The record values the sink sends to Kafka for one read of a part, through the relay's own path. */
  List<byte[]> newBytes(long cid, long aid, String bvid, int page, List<PoolDanmaku> fresh, long now) {
    RecordingSink sink = new RecordingSink();
    Pipeline pipeline = new Pipeline(sink);
    List<SourceItem> items = VideoVerticle.items(cid, aid, bvid, page, fresh, now);
    pipeline.publish(new SourceBatch(StreamKey.videoPart(cid), "video-pool", items, new JsonObject().put("cid", cid)));
    List<byte[]> values = new ArrayList<>();
    List<ProducerRecord<String, byte[]>> records = format.records(sink.batches().get(0));
    for (ProducerRecord<String, byte[]> r : records.subList(0, fresh.size())) {
      assertThat(r.topic()).isEqualTo("danmaku-video");
      assertThat(r.key()).isEqualTo(Long.toString(cid));
      values.add(r.value());
    }
    return values;
  }

  void assertSameBytes(long cid, long aid, String bvid, int page, List<PoolDanmaku> fresh) {
    List<byte[]> encoded = newBytes(cid, aid, bvid, page, fresh, NOW);
    assertThat(encoded).hasSize(fresh.size());
    for (int i = 0; i < fresh.size(); i++) {
      byte[] expected = oldBytes(cid, aid, bvid, page, fresh.get(i), NOW);
      if (!java.util.Arrays.equals(encoded.get(i), expected)) {
        // Shown as text (and its code points) for a readable failure.
        assertThat(new String(encoded.get(i), StandardCharsets.ISO_8859_1))
            .as("value %d, text %s", i, fresh.get(i).text().codePoints().mapToObj(Integer::toHexString).toList())
            .isEqualTo(new String(expected, StandardCharsets.ISO_8859_1));
      }
    }
  }

  static PoolDanmaku danmaku(String dmid, String text) {
    return new PoolDanmaku(dmid, 12345, 1, 25, 16777215, 1500000000, 0, "abcdef12", text,
        "12.34500,1,25,16777215,1500000000,0,abcdef12," + dmid + ",10");
  }

  @Test
  @DisplayName("every pool of the simulator's videos encodes to exactly the bytes of the old encoding")
  void simulatorPools() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Simulator sim = Simulator.start(vertx, SimulatorSettings.defaults(0, 1, 0, 3)).await(30, TimeUnit.SECONDS);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10)).build();
      int total = 0;
      long[][] parts = {{1700011, 170001, 1}, {1700012, 170001, 2}, {1700013, 170001, 3}, {1700021, 170002, 1},
          {1700031, 170003, 1}, {24417385, 14989419, 1}};
      String[] bvids = {"BV17x411w7KC", "BV17x411w7KC", "BV17x411w7KC", "BV17x411w7Kk", "BV17x411w7Kr", "BV1Px41137AC"};
      for (int i = 0; i < parts.length; i++) {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + "/"
            + parts[i][0] + ".xml")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        Pool pool = PoolParser.parse(PoolDecoder.decode(r.headers().firstValue("Content-Encoding").orElse(null),
            r.body(), 64 << 20).xml());
        assertThat(pool.danmaku()).isNotEmpty();
        assertSameBytes(parts[i][0], parts[i][1], bvids[i], (int) parts[i][2], pool.danmaku());
        total += pool.danmaku().size();
      }
      // The big pool is 8,000; the simulator's vocabulary has its tricky texts (emoji, controls, quotes) among them.
      assertThat(total).isGreaterThan(8000);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("awkward values encode to the old bytes: non-ASCII, quotes, backslashes, every control character, "
      + "emoji and lone surrogates, and a bvid that needs escaping")
  void awkwardValues() {
    List<String> texts = new ArrayList<>(List.of("", "plain", "\"quoted\" and 'single'", "back\\slash \\n \\u4f60",
        "中文 日本語 한국어 Ελληνικά", "😀👨‍👩‍👧🎉", "𠮷", "\uD83D", "\uDE00", "\uDE00\uD83D", "a\uD83Db", "\u2028\u2029",
        "\u007F\u0080\u07FF\u0800\uFFFD\uFFFE\uFFFF", "</d><script>alert(1)</script>", "a/b", "\uFEFFbom",
        "x".repeat(5000), "中".repeat(3000) + "😀".repeat(1000)));
    StringBuilder controls = new StringBuilder();
    for (char c = 0; c < 0x20; c++) {
      controls.append(c);
    }
    texts.add(controls.toString());
    List<PoolDanmaku> fresh = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      fresh.add(danmaku(Long.toString(1_000_000_000_000_000L + i), texts.get(i)));
    }
    assertSameBytes(1700031, 170003, "BV17x411w7Kr", 1, fresh);
    assertSameBytes(1, 2, "BV\"odd\\\u0001中😀", 3, fresh);
    assertSameBytes(Long.MAX_VALUE, 0, null, Integer.MAX_VALUE, fresh);
    // Numbers at their edges.
    assertSameBytes(1, 1, "BV", 1, List.of(new PoolDanmaku("0", 0, 9, 1000, 0, 99_999_999_999L, 99, "Z", "t", "p"),
        new PoolDanmaku("1", Long.MAX_VALUE, 1, 1, 0xFFFFFF, 0, 0, "0", "t", "p")));
  }

  @Test
  @DisplayName("every UTF-16 code unit alone, and random strings of any code points, encode to the old bytes")
  void everyCharacter() {
    List<PoolDanmaku> fresh = new ArrayList<>();
    for (int c = 0; c <= 0xFFFF; c++) {
      fresh.add(danmaku(Integer.toString(c), "<" + (char) c + ">"));
    }
    SplittableRandom random = new SplittableRandom(12);
    for (int i = 0; i < 2000; i++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(40);
      for (int k = 0; k < length; k++) {
        int pick = random.nextInt(4);
        if (pick == 0) {
          text.append((char) random.nextInt(0x80));
        } else if (pick == 1) {
          text.append((char) random.nextInt(0x10000));
        } else {
          text.appendCodePoint(random.nextInt(0x10000, 0x110000));
        }
      }
      fresh.add(danmaku(Integer.toString(100_000 + i), text.toString()));
    }
    assertSameBytes(1700031, 170003, "BV17x411w7Kr", 1, fresh);
  }

  @Test
  @DisplayName("a value whose head field changed, values on two heads in one batch, and values with other types "
      + "encode as Vert.x does")
  void headsAndFallback() {
    FieldMap.Head one = RecordValues.videoPart(1, 10, "BV1", 1);
    FieldMap.Head two = RecordValues.videoPart(2, 20, "BV2", 2);
    JsonObject a = RecordValues.videoDanmaku(one, "1", 1, 1, 25, 0, 0, 0, "h", "x", NOW, "p");
    JsonObject b = RecordValues.videoDanmaku(two, "2", 1, 1, 25, 0, 0, 0, "h", "y", NOW, "p");
    JsonObject c = RecordValues.videoDanmaku(one, "3", 1, 1, 25, 0, 0, 0, "h", "z", NOW, "p");
    JsonObject changed = RecordValues.videoDanmaku(one, "4", 1, 1, 25, 0, 0, 0, "h", "w", NOW, "p").put("bvid", "BVx");
    JsonObject removed = RecordValues.videoDanmaku(one, "5", 1, 1, 25, 0, 0, 0, "h", "v", NOW, "p");
    removed.remove("aid");
    JsonObject other = RecordValues.videoDanmaku(one, "6", 1, 1, 25, 0, 0, 0, "h", "u", NOW, "p")
        .put("flag", true).put("ratio", 0.5).put("nested", new JsonObject().put("k", new JsonArray().add(1)));
    JsonObject seq = RecordValues.videoDanmaku(one, "7", 1, 1, 25, 0, 0, 0, "h", "s", NOW, "p").put("seq", 9L);
    assertThat(((VideoDanmakuValue) changed.getMap()).asFieldMap().head()).isNull();
    assertThat(((VideoDanmakuValue) seq.getMap()).asFieldMap().head()).isSameAs(one);
    JsonEncoder encoder = new JsonEncoder();
    for (JsonObject value : List.of(a, b, c, changed, removed, other, seq, a)) {
      Map<String, Object> plain = new LinkedHashMap<>(value.getMap());
      assertThat(new String(encoder.encode(value), StandardCharsets.UTF_8))
          .isEqualTo(new String(new JsonObject(plain).toBuffer().getBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  @DisplayName("the records of one batch carry the source and schema headers (and the relay's), each record its own "
      + "list of them: one made read-only or given another header leaves the others as they were")
  void eachRecordItsOwnHeaders() {
    RecordingSink sink = new RecordingSink();
    List<SourceItem> items = VideoVerticle.items(1700031, 170003, "BV17x411w7Kr", 1, List.of(
        new PoolDanmaku("1", 1500, 1, 25, 0xFFFFFFL, 1500000000, 0, "ab", "x", "1.5,1,25,16777215,1500000000,0,ab,1"),
        new PoolDanmaku("2", 2500, 1, 25, 0xFFFFFFL, 1500000001, 0, "ab", "y", "2.5,1,25,16777215,1500000001,0,ab,2")),
        NOW);
    new Pipeline(sink).publish(new SourceBatch(StreamKey.videoPart(1700031), "video-pool", items, null));
    RecordFormat clustered = new RecordFormat(ConfigLoader.load(null, Map.of(), List.<String>of()).kafka(), "relay-a");
    List<ProducerRecord<String, byte[]>> records = clustered.records(sink.batches().get(0));
    assertThat(records).hasSize(2);
    records.get(0).headers().add("extra", new byte[] {1});
    ((org.apache.kafka.common.header.internals.RecordHeaders) records.get(0).headers()).setReadOnly();
    for (ProducerRecord<String, byte[]> r : records) {
      assertThat(new String(r.headers().lastHeader("source").value(), StandardCharsets.UTF_8)).isEqualTo("video-pool");
      assertThat(new String(r.headers().lastHeader("schema").value(), StandardCharsets.UTF_8)).isEqualTo("1");
      assertThat(new String(r.headers().lastHeader("relay").value(), StandardCharsets.UTF_8)).isEqualTo("relay-a");
    }
    assertThat(records.get(0).headers().toArray()).hasSize(4);
    assertThat(records.get(1).headers().toArray()).hasSize(3);
    records.get(1).headers().add("other", new byte[] {2});
    assertThat(records.get(1).headers().toArray()).hasSize(4);
  }
}
